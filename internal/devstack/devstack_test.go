package devstack

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// occupy listens on a free port for the test's duration, as another program would.
func occupy(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l.Addr().String()
}

// requireContains checks that an error names every wanted text.
func requireContains(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
}

// The case: the starter's port is taken by another program. Nothing is
// announced; the error names the starter, the bind error and XSOC_LISTEN, at once.
func TestStartWithTheStartersPortTakenNamesTheBindErrorAndTheSetting(t *testing.T) {
	taken := occupy(t)
	began := time.Now()
	stack, err := Start(context.Background(), Options{
		Customers: func(map[string]string) ([]byte, error) { return nil, errors.New("not reached") },
		Addresses: Addresses{Starter: taken},
	})
	if stack != nil {
		defer stack.Stop()
	}
	requireContains(t, err, "starter failed: listen tcp "+taken+": bind: address already in use", taken+", set by XSOC_LISTEN")
	var failure *ComponentError
	if !errors.As(err, &failure) || failure.Component != "starter" {
		t.Errorf("want the starter's ComponentError, got %#v", err)
	}
	if len(stack.parts) != 0 {
		t.Errorf("%d processes started although an address was taken", len(stack.parts))
	}
	if elapsed := time.Since(began); elapsed > 10*time.Second {
		t.Errorf("the taken address was reported after %s: it should be checked before anything starts", elapsed)
	}
}

func TestStartNamesEveryTakenAddress(t *testing.T) {
	ui, smtp, cybereason := occupy(t), occupy(t), occupy(t)
	_, uiPort, _ := net.SplitHostPort(ui)
	stack, err := Start(context.Background(), Options{
		UI:        true,
		Addresses: Addresses{TemporalUI: uiPort, SMTP: smtp, Simulators: map[string]string{"cybereason": cybereason}},
	})
	if stack != nil {
		defer stack.Stop()
	}
	requireContains(t, err,
		"Temporal dev server failed: listen tcp "+ui, ui+", set by XSOC_UI_URL",
		"Mailpit failed: listen tcp "+smtp, smtp+", set by XSOC_SMTP_PORT",
		"cybereason simulator failed: listen tcp "+cybereason, "set by XSOC_SIM_CYBEREASON_LISTEN and the customers file's cybereason url")
}

// A process that ends before it answers is reported with the end of its own log.
func TestAComponentThatExitsIsReportedWithItsLog(t *testing.T) {
	dir := t.TempDir()
	address := FreeAddress()
	part := &component{
		name: "starter", path: "/bin/sh", log: filepath.Join(dir, "logs", "starter.log"),
		args:    []string{"-c", `echo 'level=INFO msg="loading"'; echo 'level=ERROR msg="starter stopped" error="customers.yaml: 1 problem(s):"'; echo '  - line 3: customer "acme": services: required'; exit 1`},
		listens: []listen{{address, starterSetting}},
		answers: func(context.Context) error { return errors.New("not yet") },
	}
	if err := part.start(); err != nil {
		t.Fatal(err)
	}
	err := part.waitAnswers(context.Background(), 10*time.Second)
	requireContains(t, err, "starter failed: it exited (exit status 1)", "starter.log) ends:",
		`level=ERROR msg="starter stopped"`, `line 3: customer "acme": services: required`, address+", set by XSOC_LISTEN")
	if strings.Contains(err.Error(), `msg="loading"`) {
		t.Errorf("the log's lines before its last error are not the reason:\n%v", err)
	}
}

// A process that runs but never answers is reported once the wait is over, with what
// the last attempt saw.
func TestAComponentThatNeverAnswersIsReported(t *testing.T) {
	part := &component{
		name: "worker", path: "/bin/sh", log: filepath.Join(t.TempDir(), "worker.log"),
		args:    []string{"-c", "echo 'dial failed: connection refused' >&2; exec sleep 30"},
		answers: func(context.Context) error { return errors.New("not polling task queue xsoc yet") },
	}
	if err := part.start(); err != nil {
		t.Fatal(err)
	}
	defer part.stop()
	err := part.waitAnswers(context.Background(), time.Second)
	requireContains(t, err, "worker failed: it did not answer within 1s: not polling task queue xsoc yet", "dial failed: connection refused")
}

func TestARestartedComponentKeepsItsLogAndAFreshStartDoesNot(t *testing.T) {
	log := filepath.Join(t.TempDir(), "mailpit.log")
	if err := os.WriteFile(log, []byte("a line of the last run\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	part := &component{name: "mailpit", path: "/bin/sh", args: []string{"-c", "echo started"}, log: log}
	for range 2 {
		if err := part.start(); err != nil {
			t.Fatal(err)
		}
		<-part.exited
	}
	data, _ := os.ReadFile(log)
	if string(data) != "started\nstarted\n" {
		t.Errorf("log: %q", data)
	}
}

func TestAddressesFromEnv(t *testing.T) {
	defaults, err := AddressesFromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if defaults.Temporal != "127.0.0.1:7233" || defaults.TemporalUI != "8233" || defaults.Mailpit != "127.0.0.1:8025" ||
		defaults.SMTP != "127.0.0.1:1025" || defaults.Starter != "127.0.0.1:8080" || defaults.WorkerMetrics != "127.0.0.1:9090" ||
		defaults.Simulators["cybereason"] != "127.0.0.1:9101" || defaults.Simulators["twilio"] != "127.0.0.1:9105" {
		t.Errorf("defaults: %+v", defaults)
	}
	env := map[string]string{
		"TEMPORAL_ADDRESS": "127.0.0.1:17233", "XSOC_UI_URL": "http://localhost:18233", "XSOC_MAILPIT_LISTEN": "127.0.0.1:18025",
		"XSOC_SMTP_PORT": "11025", "XSOC_LISTEN": "127.0.0.1:18080", "XSOC_SIM_SLACK_LISTEN": "127.0.0.1:19104",
	}
	set, err := AddressesFromEnv(func(name string) string { return env[name] })
	if err != nil {
		t.Fatal(err)
	}
	if set.Temporal != "127.0.0.1:17233" || set.TemporalUI != "18233" || set.Mailpit != "127.0.0.1:18025" ||
		set.SMTP != "127.0.0.1:11025" || set.Starter != "127.0.0.1:18080" || set.Simulators["slack"] != "127.0.0.1:19104" {
		t.Errorf("from the environment: %+v", set)
	}
	for name, value := range map[string]string{"XSOC_LISTEN": "8080", "XSOC_UI_URL": "http://localhost"} {
		if _, err := AddressesFromEnv(func(n string) string { return map[string]string{name: value}[n] }); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v", name, value, err)
		}
	}
}

// A part the stack kills (a test's crash) is not reported as a failure of the stack,
// and starts again.
func TestAKilledComponentIsNotReportedAndStartsAgain(t *testing.T) {
	ended := make(chan *ComponentError, 1)
	part := &component{name: "worker", path: "/bin/sh", args: []string{"-c", "exec sleep 30"},
		log: filepath.Join(t.TempDir(), "worker.log"), ended: ended}
	if err := part.start(); err != nil {
		t.Fatal(err)
	}
	part.kill()
	if part.running() {
		t.Fatal("running after kill")
	}
	if status := part.cmd.ProcessState.Sys().(syscall.WaitStatus); !status.Signaled() || status.Signal() != syscall.SIGKILL {
		t.Fatalf("ended by %v, want SIGKILL", part.cmd.ProcessState)
	}
	if err := part.start(); err != nil {
		t.Fatal(err)
	}
	defer part.stop()
	if !part.running() {
		t.Fatal("not running after a new start")
	}
	select {
	case failure := <-ended:
		t.Fatalf("the kill was reported: %v", failure)
	default:
	}
}

func TestOnlyAStackOnPortsOfItsOwnChoosingStartsAgainWhenOneWasTaken(t *testing.T) {
	taken := &ComponentError{Component: "Temporal dev server", Err: &net.OpError{Op: "listen", Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}}
	if !portTakenMeanwhile(taken, Options{}) {
		t.Error("a port the stack chose and lost is tried again")
	}
	if portTakenMeanwhile(taken, Options{Dir: ".xsoc", Addresses: Addresses{Temporal: "127.0.0.1:7233"}}) {
		t.Error("make run's own ports are reported, not changed")
	}
	if portTakenMeanwhile(&ComponentError{Component: "worker", Err: errors.New("exited")}, Options{}) {
		t.Error("another failure is reported")
	}
}
