package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
)

// How a worker's build becomes the deployment's current version (XSOC_PROMOTE_VERSION).
const (
	// PromoteIfNone makes the build current only when the deployment has no current
	// version: the first deploy serves at once; a later build waits for an operator.
	PromoteIfNone = "if-none"
	// PromoteAlways makes the build current as the worker starts: dev stacks and tests,
	// whose worker is the code under test.
	PromoteAlways = "always"
	// PromoteNever leaves promotion to an operator (temporal worker deployment
	// set-current-version) or a deploy pipeline.
	PromoteNever = "never"
)

// stampedBuildID is set at link time: go build -ldflags "-X xsoc/config.stampedBuildID=v1.4.2".
var stampedBuildID string

// buildIDPattern is what a build id may hold: the server refuses ids starting with
// "__", and the id is typed into the temporal CLI and read in the UI.
var buildIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$`)

func (s Settings) checkVersioning() error {
	switch s.PromoteVersion {
	case PromoteIfNone, PromoteAlways, PromoteNever:
	default:
		return fmt.Errorf("XSOC_PROMOTE_VERSION=%q: want if-none (default), always or never", s.PromoteVersion)
	}
	if s.BuildID != "" && !buildIDPattern.MatchString(s.BuildID) {
		return fmt.Errorf("XSOC_BUILD_ID=%q: want 1 to 100 letters, digits and . _ + - (a release tag or a commit), starting with a letter or digit", s.BuildID)
	}
	if s.WorkerMetricsListen != "" {
		if _, _, err := net.SplitHostPort(s.WorkerMetricsListen); err != nil {
			return fmt.Errorf("XSOC_WORKER_METRICS_LISTEN=%q: want host:port, e.g. 127.0.0.1:9090", s.WorkerMetricsListen)
		}
	}
	return nil
}

// WorkerBuildID answers the build id the worker runs as: XSOC_BUILD_ID when set (an
// operator's release name), else the id stamped at link time, else the first 12 hex
// digits of the SHA-256 of the worker's own executable. Two binaries of the same
// code, built alike, share an id; any change to the code makes a new one, so a new
// build never claims the incidents pinned to an older one.
func (s Settings) WorkerBuildID() (string, error) {
	if s.BuildID != "" {
		return s.BuildID, nil
	}
	if stampedBuildID != "" {
		if !buildIDPattern.MatchString(stampedBuildID) {
			return "", fmt.Errorf("the build id stamped into this binary (%q) is not one Temporal and the CLI take: rebuild with another, or set XSOC_BUILD_ID", stampedBuildID)
		}
		return stampedBuildID, nil
	}
	return executableDigest()
}

func executableDigest() (string, error) {
	path, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("deriving the build id from the executable: %w (set XSOC_BUILD_ID)", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("deriving the build id from the executable: %w (set XSOC_BUILD_ID)", err)
	}
	defer func() { _ = f.Close() }() // read only: the digest is all that matters
	digest := sha256.New()
	if _, err := io.Copy(digest, f); err != nil {
		return "", fmt.Errorf("deriving the build id from %s: %w (set XSOC_BUILD_ID)", path, err)
	}
	return hex.EncodeToString(digest.Sum(nil))[:12], nil
}
