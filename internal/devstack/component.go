package devstack

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// component is one process of the stack: started with its output in its own log,
// waited for until it answers, and reported — in its own words — when it fails.
type component struct {
	name  string // "starter": what PID and Restart take
	title string // what a person reads in its failure; name when empty
	path  string
	args  []string
	env   []string
	dir   string // its working directory; empty: the caller's
	// asUser runs it as another user (PostgreSQL as postgres when we are root).
	asUser *syscall.Credential
	log    string // its log file
	// listens are the addresses it binds, each with the setting that moves it.
	listens []listen
	// answers tells whether the component serves yet (nil once it does).
	answers func(ctx context.Context) error
	// ended hears of the process ending when nobody stopped it.
	ended chan<- *ComponentError

	cmd      *exec.Cmd
	exited   chan struct{} // closed when the process has ended; exitErr says how
	exitErr  error
	stopping atomic.Bool
}

// listen is an address a part of the stack binds and what sets it under make run.
type listen struct {
	address string // host:port
	setting string // "XSOC_LISTEN"
}

func (l listen) String() string { return l.address + ", set by " + l.setting }

// ComponentError says which part of the stack failed and why: what the stack saw, the
// last error lines of the part's own log, and the settings that move it elsewhere.
type ComponentError struct {
	Component string
	Err       error
	Log       string   // the component's log file, when it has one
	LogTail   []string // its last error line(s)
	// Addresses are those it binds and the settings that move them:
	// "127.0.0.1:8080, set by XSOC_LISTEN".
	Addresses []string
}

func (e *ComponentError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s failed: %v", e.Component, e.Err)
	if len(e.LogTail) > 0 {
		fmt.Fprintf(&b, "\n  its log (%s) ends:", e.Log)
		for _, line := range e.LogTail {
			fmt.Fprintf(&b, "\n    %s", line)
		}
	}
	for _, address := range e.Addresses {
		fmt.Fprintf(&b, "\n  its address: %s", address)
	}
	return b.String()
}

func (e *ComponentError) Unwrap() error { return e.Err }

// failure is a ComponentError for c, with the end of its log.
func (c *component) failure(err error) *ComponentError {
	failure := &ComponentError{Component: cmp.Or(c.title, c.name), Err: err, Log: c.log, LogTail: lastErrorLines(c.log)}
	for _, l := range c.listens {
		failure.Addresses = append(failure.Addresses, l.String())
	}
	return failure
}

// checkFree fails when one of the component's addresses is taken: whatever answers
// there is not the component, and waiting for it would report a stranger as ready.
func (c *component) checkFree() error {
	for _, l := range c.listens {
		if err := addressFree(l.address); err != nil {
			failure := c.failure(err)
			failure.LogTail = nil // the component never ran: its log is from an earlier run
			return failure
		}
	}
	return nil
}

func addressFree(address string) error {
	if _, port, _ := net.SplitHostPort(address); port == "0" {
		return nil
	}
	l, err := net.Listen("tcp", address)
	if err != nil {
		return err
	}
	return l.Close()
}

// start runs the process with its output in its log: a new log on the first start (a
// kept directory holds the last run's), appended to when restarted, so that a restarted
// process keeps its earlier lines.
func (c *component) start() error {
	if err := c.checkFree(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.log), 0o755); err != nil {
		return err
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if c.cmd == nil {
		flags |= os.O_TRUNC
	}
	log, err := os.OpenFile(c.log, flags, 0o600)
	if err != nil {
		return err
	}
	// The child holds its own descriptor; ours is not needed once it runs.
	defer func() { _ = log.Close() }()
	cmd := exec.Command(c.path, c.args...)
	cmd.Env, cmd.Dir = c.env, c.dir
	if c.asUser != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.asUser}
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return c.failure(err)
	}
	exited := make(chan struct{})
	c.cmd, c.exited, c.exitErr = cmd, exited, nil
	c.stopping.Store(false)
	go func() {
		err := cmd.Wait()
		c.exitErr = err
		// Read before the close: a restart, once it sees the process ended, clears it.
		unexpected := !c.stopping.Load()
		close(exited)
		if unexpected {
			select {
			case c.ended <- c.failure(fmt.Errorf("it stopped (%v)", err)):
			default: // one failure is enough to stop the stack
			}
		}
	}()
	return nil
}

// waitAnswers waits until the component answers, failing as soon as its process ends.
func (c *component) waitAnswers(ctx context.Context, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	var last error
	for {
		select {
		case <-c.exited:
			return c.failure(fmt.Errorf("it exited (%v)", c.exitErr))
		default:
		}
		attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		last = c.answers(attempt)
		cancelAttempt()
		if last == nil {
			return nil
		}
		select {
		case <-c.exited:
		case <-ctx.Done():
			return c.failure(fmt.Errorf("it did not answer within %s: %v", within, last))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop interrupts the process and waits for it.
func (c *component) stop() {
	c.interrupt()
	c.awaitExit()
}

// kill ends the process with SIGKILL and waits for it.
func (c *component) kill() {
	if c.cmd == nil {
		return
	}
	c.stopping.Store(true)
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// running tells whether the process was started and has not ended.
func (c *component) running() bool {
	if c.cmd == nil {
		return false
	}
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// interrupt asks the process to end, as Ctrl-C does.
func (c *component) interrupt() {
	c.signal(os.Interrupt)
}

// signal sends the process a signal that ends it (the stack does not report its end).
func (c *component) signal(sig os.Signal) {
	if c.cmd == nil {
		return
	}
	c.stopping.Store(true)
	_ = c.cmd.Process.Signal(sig)
}

// awaitExit waits for the process to end, killing it after 10 s.
func (c *component) awaitExit() {
	if c.cmd == nil {
		return
	}
	select {
	case <-c.exited:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// errorLine is a log line that reports a failure, in the formats of slog, the
// Temporal CLI and Mailpit.
var errorLine = regexp.MustCompile(`(?i)error|fatal|panic|failed|address already in use`)

// lastErrorLines answers the end of a log from its last error line on (at most 15
// lines), or its last 5 lines when none reads as an error.
func lastErrorLines(log string) []string {
	data, err := os.ReadFile(log)
	text := strings.TrimRight(string(data), "\n")
	if err != nil || text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	from := max(0, len(lines)-5)
	for i := len(lines) - 1; i >= 0; i-- {
		if errorLine.MatchString(lines[i]) {
			from = i
			break
		}
	}
	return lines[from:min(len(lines), from+15)]
}
