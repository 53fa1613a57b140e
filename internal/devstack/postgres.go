package devstack

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// postgresBinEnv names the directory of PostgreSQL's server programs (initdb,
// postgres, pg_isready) when they are not Debian's /usr/lib/postgresql/<version>/bin.
const postgresBinEnv = "XSOC_POSTGRES_BIN"

// postgresUser is the role Temporal connects as: the superuser initdb creates, since
// the schema tool creates the databases.
const postgresUser = "temporal"

// Postgres is the cluster's PostgreSQL: one server of its own, in a data directory of
// its own, on 127.0.0.1 only, holding Temporal's persistence and visibility databases.
type Postgres struct {
	Address  string // host:port
	User     string
	Password string
	// Data is the data directory (owned by the postgres user when we are root).
	Data string
	bin  string
	// runAs is the postgres user's credential when we are root, nil otherwise: the
	// server refuses to run as root.
	runAs *syscall.Credential
}

// findPostgres answers the directory of PostgreSQL's server programs: $XSOC_POSTGRES_BIN,
// else Debian's newest /usr/lib/postgresql/<version>/bin. When there is none and we are
// root, it installs Debian's postgresql package first (as make test installs chromium);
// otherwise it says the one command to run.
func findPostgres(ctx context.Context, logf func(string, ...any)) (string, error) {
	if dir := os.Getenv(postgresBinEnv); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err != nil {
			return "", fmt.Errorf("%s=%s: no initdb there: %w", postgresBinEnv, dir, err)
		}
		return dir, nil
	}
	if dir := debianPostgres(); dir != "" {
		return dir, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("the cluster needs PostgreSQL's server programs, which are not installed: run  sudo apt-get install -y postgresql  (or set " + postgresBinEnv + " to the directory holding initdb and postgres)")
	}
	logf("installing PostgreSQL from Debian's packages (apt-get install postgresql)")
	for _, args := range [][]string{{"update", "-qq"}, {"install", "-y", "-qq", "postgresql"}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("apt-get %s: %v\n%s", strings.Join(args, " "), err, lastLines(string(out), 10))
		}
	}
	if dir := debianPostgres(); dir != "" {
		return dir, nil
	}
	return "", errors.New("apt-get installed postgresql, but no /usr/lib/postgresql/*/bin/initdb is there")
}

// debianPostgres answers the bin directory of the newest PostgreSQL Debian installed.
func debianPostgres() string {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	slices.SortFunc(found, func(a, b string) int { return majorVersion(a) - majorVersion(b) })
	if len(found) == 0 {
		return ""
	}
	return filepath.Dir(found[len(found)-1])
}

func majorVersion(initdb string) int {
	version, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return version
}

// preparePostgres makes the data directory under dir on the first start (initdb, with
// a generated password for the temporal superuser, kept beside it) and answers the
// server to start. A directory prepared before is used as it is: make cluster keeps
// its databases between runs.
func preparePostgres(ctx context.Context, bin, dir, address string) (*Postgres, error) {
	pg := &Postgres{Address: address, User: postgresUser, Data: filepath.Join(dir, "data"), bin: bin}
	if os.Geteuid() == 0 {
		account, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("PostgreSQL refuses to run as root and there is no postgres user to run it as (Debian's postgresql package creates it): %w", err)
		}
		uid, uidErr := strconv.ParseUint(account.Uid, 10, 32)
		gid, gidErr := strconv.ParseUint(account.Gid, 10, 32)
		if err := errors.Join(uidErr, gidErr); err != nil {
			return nil, fmt.Errorf("the postgres user's ids %s:%s: %w", account.Uid, account.Gid, err)
		}
		pg.runAs = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	passwordFile := filepath.Join(dir, "password")
	if password, err := os.ReadFile(passwordFile); err == nil {
		pg.Password = strings.TrimSpace(string(password))
		if _, err := os.Stat(filepath.Join(pg.Data, "PG_VERSION")); err == nil {
			return pg, nil
		}
	}
	// A first start, or one that stopped before initdb finished: begin again.
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := reachableBy(pg.runAs, dir); err != nil {
		return nil, err
	}
	pg.Password = randomHex(16)
	if err := os.WriteFile(passwordFile, []byte(pg.Password+"\n"), 0o600); err != nil {
		return nil, err
	}
	if pg.runAs != nil {
		for _, path := range []string{dir, passwordFile} {
			if err := os.Chown(path, int(pg.runAs.Uid), int(pg.runAs.Gid)); err != nil {
				return nil, err
			}
		}
	}
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "--pgdata", pg.Data, "--username", postgresUser,
		"--pwfile", passwordFile, "--auth", "scram-sha-256", "--encoding", "UTF8", "--locale", "C.UTF-8", "--no-instructions")
	initdb.Dir = dir
	if pg.runAs != nil {
		initdb.SysProcAttr = &syscall.SysProcAttr{Credential: pg.runAs}
	}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb %s: %v\n%s", pg.Data, err, lastLines(string(out), 10))
	}
	return pg, nil
}

// reachableBy fails when the postgres user cannot reach dir (a parent directory
// closed to others, as a home directory may be), with the directory that stops it.
func reachableBy(account *syscall.Credential, dir string) error {
	if account == nil {
		return nil
	}
	for parent := filepath.Dir(dir); ; parent = filepath.Dir(parent) {
		info, err := os.Stat(parent)
		if err != nil {
			return err
		}
		if stat, ok := info.Sys().(*syscall.Stat_t); ok && stat.Uid != account.Uid && info.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("PostgreSQL runs as the postgres user, who cannot enter %s (mode %s): keep the cluster's state under a directory others may enter (make cluster: XSOC_CLUSTER_DIR=/var/tmp/xsoc-cluster)", parent, info.Mode().Perm())
		}
		if parent == filepath.Dir(parent) {
			return nil
		}
	}
}

// component is the PostgreSQL server in the foreground, as the stack's child: a
// SIGINT is its fast shutdown, SIGQUIT its immediate one (a crash, recovered from
// the WAL at the next start), and its log is the stack's like every part's.
func (pg *Postgres) component(log string) *component {
	host, port, _ := net.SplitHostPort(pg.Address)
	return &component{
		name: "postgres", title: "PostgreSQL", path: filepath.Join(pg.bin, "postgres"), dir: filepath.Dir(pg.Data),
		args: []string{"-D", pg.Data, "-p", port,
			"-c", "listen_addresses=" + host,
			"-c", "unix_socket_directories=" + filepath.Dir(pg.Data),
			// Temporal's two stores hold at most 20 + 10 connections per server process.
			"-c", "max_connections=100",
			"-c", "log_min_messages=warning", "-c", "log_connections=off"},
		env: os.Environ(), asUser: pg.runAs, log: log,
		listens: []listen{{pg.Address, postgresSetting}},
		answers: func(ctx context.Context) error {
			out, err := exec.CommandContext(ctx, filepath.Join(pg.bin, "pg_isready"), "-h", host, "-p", port, "-U", pg.User).CombinedOutput()
			if err != nil {
				return fmt.Errorf("pg_isready: %v: %s", err, strings.TrimSpace(string(out)))
			}
			return nil
		},
	}
}

func randomHex(bytes int) string {
	b := make([]byte, bytes)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// lastLines answers the last n lines of a command's output.
func lastLines(text string, n int) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
