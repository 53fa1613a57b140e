// Command bench measures xsoc on this machine against Temporal itself (`make bench`):
// each section is measured against its own baseline in the same run — intake against
// the raw start rate while the worker is busy, a burst of paging alerts against as many
// no-op workflows, a critical alert in a storm, the worker's memory with many open
// incidents and the cost of replaying them, suppressed alerts against no-op workflows —
// and the workflows' histories and the server's database requests say where the time
// goes. It prints the results and writes them, with how to read them, to
// bench/results.md.
//
// With -cluster it runs on the production topology instead (`make cluster`'s: the
// Temporal server on PostgreSQL behind mutual TLS, two workers, two starters behind
// one address), intake and burst by default, each against the same baselines started
// on that cluster, and writes its results into bench/results.md beside the dev
// server's (between the markers clusterBegin and clusterEnd), keeping the other's.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"xsoc/config"
	"xsoc/internal/devstack"
	"xsoc/workflows/start"
)

//go:embed customers.yaml
var customersFile []byte

const webhookSecret = "bench-webhook-secret"

// benchDashboardToken opens the starter's /metrics, which the syslog section reads.
const benchDashboardToken = "bench-dashboard-token-0123456789"

// sections in the order they run: memory last, because it restarts the worker with a
// small cache and leaves thousands of incidents open.
var sections = []string{"intake", "syslog", "burst", "storm", "suppression", "worm", "memory"}

// clusterSections are what -cluster runs unless told otherwise: the figures to set
// beside the dev server's.
var clusterSections = []string{"intake", "burst"}

type settings struct {
	only          []string
	concurrency   int
	intakeWarm    time.Duration
	window        time.Duration
	rounds        int
	syslogEvents  int
	burst         int
	storm         int
	criticals     int
	criticalFirst time.Duration
	criticalEvery time.Duration
	suppress      int
	suppressEvery int
	worm          int
	wormProfile   string
	open          []int
	openBudget    time.Duration
	smallCache    int
	events        int
	sample        int
	drainBudget   time.Duration
	pragmas       []string
	out           string
	// cluster runs on the cluster (its replicas: workers and starters).
	cluster  bool
	replicas int
}

func (s settings) runs(section string) bool { return slices.Contains(s.only, section) }

func main() {
	var s settings
	only := flag.String("only", "", "the sections to run, comma-separated: "+strings.Join(sections, ", ")+" (default: all; with -cluster: "+strings.Join(clusterSections, ", ")+")")
	flag.BoolVar(&s.cluster, "cluster", false, "run on the production topology (make cluster's): the Temporal server on PostgreSQL with mutual TLS, -replicas workers and starters")
	flag.IntVar(&s.replicas, "replicas", 2, "with -cluster: how many workers and how many starters")
	flag.IntVar(&s.concurrency, "concurrency", 20, "senders (and baseline starters) in every section")
	flag.DurationVar(&s.intakeWarm, "intake-backlog", 10*time.Second, "intake: how long alerts are sent to make the worker busy before the windows")
	flag.DurationVar(&s.window, "window", 5*time.Second, "intake: length of each measured window")
	flag.IntVar(&s.rounds, "rounds", 3, "intake: rounds of windows (raw, direct, http each once per round)")
	flag.IntVar(&s.syslogEvents, "syslog-events", 1000, "syslog: alerts of each http and syslog window")
	flag.IntVar(&s.burst, "burst", 2000, "burst: paging alerts, and as many no-op workflows")
	flag.IntVar(&s.storm, "storm", 2000, "storm: high alerts of the storm")
	flag.IntVar(&s.criticals, "criticals", 20, "storm and worm: critical alerts posted during the storm, and spread across the worm")
	flag.DurationVar(&s.criticalFirst, "critical-first", 2*time.Second, "storm: when the first critical alert is posted")
	flag.DurationVar(&s.criticalEvery, "critical-every", time.Second, "storm: time between critical alerts")
	flag.IntVar(&s.suppress, "suppress", 200, "suppression: alerts sent")
	flag.IntVar(&s.suppressEvery, "suppress-every", 20, "suppression: every n-th alert does not match the rule (200 and 20: 190 match)")
	flag.IntVar(&s.worm, "worm", 20000, "worm: alerts of one customer's worm, posted as fast as the senders are answered")
	flag.StringVar(&s.wormProfile, "worm-profile", "", "worm: write a 30 s CPU profile of the worker, taken while the worm is sorted, to this file (go tool pprof)")
	openList := flag.String("open", "1000,10000", "memory: open incidents at which the worker's memory is read")
	flag.DurationVar(&s.openBudget, "open-budget", 12*time.Minute, "memory: time allowed to open the incidents")
	flag.IntVar(&s.smallCache, "small-cache", 2000, "memory: the worker's sticky cache size (XSOC_STICKY_CACHE_SIZE) for the replay measurement")
	flag.IntVar(&s.events, "events", 1000, "memory: re-deliveries to cached incidents (and at least as many to evicted ones)")
	flag.IntVar(&s.sample, "sample", 200, "histories read per section to count events and tasks")
	flag.DurationVar(&s.drainBudget, "drain-budget", 10*time.Minute, "how long a section waits for its pages")
	pragmas := flag.String("sqlite-pragmas", "journal_mode=wal,synchronous=normal", "the dev server's SQLite pragmas, as `make run` sets them (empty: SQLite's defaults)")
	flag.StringVar(&s.out, "out", "bench/results.md", "where to write the results")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	fail := func(format string, args ...any) {
		log.Error(fmt.Sprintf(format, args...))
		os.Exit(2)
	}
	if *only == "" {
		*only = strings.Join(sections, ",")
		if s.cluster {
			*only = strings.Join(clusterSections, ",")
		}
	}
	for name := range strings.SplitSeq(*only, ",") {
		if name = strings.TrimSpace(name); !slices.Contains(sections, name) {
			fail("-only %q: unknown section %q (sections: %s)", *only, name, strings.Join(sections, ", "))
		}
		if s.cluster && name == "memory" {
			fail("-only %q: the memory section restarts the one worker of the dev server's stack; on the cluster run %s", *only, strings.Join(clusterSections, ", "))
		}
		s.only = append(s.only, name)
	}
	if s.replicas < 1 {
		fail("-replicas must be at least 1")
	}
	for field := range strings.SplitSeq(*openList, ",") {
		var n int
		if _, err := fmt.Sscan(field, &n); err != nil || n <= 0 || len(s.open) > 0 && n <= s.open[len(s.open)-1] {
			fail("-open %q: want increasing counts of open incidents, e.g. 1000,10000", *openList)
		}
		s.open = append(s.open, n)
	}
	if s.suppressEvery < 2 || s.concurrency < 1 || s.rounds < 1 || s.smallCache < 1 || s.syslogEvents < 1 {
		fail("-suppress-every must be at least 2, -concurrency, -rounds, -small-cache and -syslog-events at least 1")
	}
	if *pragmas != "" {
		s.pragmas = strings.Split(*pragmas, ",")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, s, log); err != nil {
		log.Error("bench failed", "error", err)
		os.Exit(1)
	}
}

// bench is what every section uses.
type bench struct {
	s         settings
	stack     *devstack.Stack
	customers *config.Customers
	sender    *alertSender
	intake    *start.Intake
	slack     socPages
	log       *slog.Logger
}

func (b *bench) customer(id string) config.Customer {
	c, _ := b.customers.Customer(id)
	return *c
}

func run(ctx context.Context, s settings, log *slog.Logger) (err error) {
	r := newReport(s)
	var rendered []byte // the customers file, with the simulators' URLs
	log.Info("starting the stack", "load", loadAverage(), "cluster", s.cluster)
	options := devstack.Options{
		Customers: func(simulators map[string]string) ([]byte, error) {
			var err error
			rendered, err = renderCustomers(simulators)
			return rendered, err
		},
		// gctrace: the worker's log tells its live heap and goroutine stacks.
		Env:           append([]string{"GODEBUG=gctrace=1", "XSOC_DASHBOARD_TOKEN=" + benchDashboardToken, "XSOC_WORKER_PPROF=1"}, benchSecrets()...),
		PersistDB:     true,
		SQLitePragmas: s.pragmas,
		Syslog:        true,
		Logf:          func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...)) },
	}
	if s.cluster {
		options.Cluster, options.Workers, options.Starters = true, s.replicas, s.replicas
		options.PersistDB, options.SQLitePragmas = false, nil
	}
	stack, err := devstack.Start(ctx, options)
	if stack != nil {
		defer stack.Stop()
		defer func() {
			if err != nil {
				stack.DumpLogs(os.Stderr, 40)
			}
		}()
	}
	if err != nil {
		return err
	}
	customers, err := config.ParseCustomers("bench/customers.yaml", rendered, lookupSecret)
	if err != nil {
		return err
	}
	b := &bench{s: s, stack: stack, customers: customers, log: log,
		sender: newAlertSender(stack.StarterURL, webhookSecret, s.concurrency),
		intake: start.NewIntake(stack.Temporal, stack.ClientOptions, customers.SOC),
		slack:  socPages{sim: stack.Slack}}
	if err := b.warmUp(ctx); err != nil {
		return err
	}

	previous := time.Time{} // when the previous section ended
	for _, name := range sections {
		if !s.runs(name) {
			continue
		}
		if !previous.IsZero() {
			r.settled[name] = b.settle(ctx, previous)
		}
		log.Info("section", "name", name, "load", loadAverage())
		var err error
		switch name {
		case "intake":
			r.intake = new(intakeSection)
			*r.intake, err = b.runIntake(ctx)
		case "syslog":
			r.syslog = new(syslogSection)
			*r.syslog, err = b.runSyslog(ctx)
		case "burst":
			r.burst = new(burstSection)
			*r.burst, err = b.runBurst(ctx)
		case "storm":
			r.storm = new(stormSection)
			*r.storm, err = b.runStorm(ctx)
		case "suppression":
			r.suppression = new(suppressSection)
			*r.suppression, err = b.runSuppression(ctx)
		case "worm":
			r.worm = new(wormSection)
			*r.worm, err = b.runWorm(ctx)
		case "memory":
			r.memory = new(memorySection)
			*r.memory, err = b.runMemory(ctx)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		previous = time.Now()
	}
	if r.burst != nil {
		log.Info("reading the burst's incidents again")
		r.burstLater, r.burstLaterAfter = costsOf(ctx, stack.Temporal, stack.ClientOptions.DataConverter, r.burst.sampled, nil).all, time.Since(r.burst.sum.firstSent)
	}
	r.finish(log)
	fmt.Print(r.markdown())
	if err := writeResults(s.out, r.markdown(), s.cluster); err != nil {
		return err
	}
	log.Info("results written", "file", s.out, "took", r.elapsed.Round(time.Second))
	if r.burst != nil && !r.burst.check.ok(r.burst.want) {
		return errors.New("the burst lost or doubled alerts: see " + s.out)
	}
	return nil
}

// settle waits before a section until what the previous one started has quieted:
// every incident starts a one-minute timer for its triage's answer that is never
// cancelled, so it fires a minute later (a workflow task each); then until the
// server writes less than quietWrites a second for three seconds in a row (at most
// two minutes). It answers how long it waited.
func (b *bench) settle(ctx context.Context, previous time.Time) time.Duration {
	began := time.Now()
	time.Sleep(time.Until(previous.Add(triageTimerFires)))
	quiet := 0
	last, err := readPersistence(ctx, b.stack.TemporalMetricsURL)
	for deadline := time.Now().Add(2 * time.Minute); err == nil && quiet < 3 && time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(time.Second)
		now, readErr := readPersistence(ctx, b.stack.TemporalMetricsURL)
		if readErr != nil {
			break
		}
		if now.since(last).writes() < quietWrites {
			quiet++
		} else {
			quiet = 0
		}
		last = now
	}
	b.log.Info("settled", "waited", time.Since(began).Round(time.Second))
	return time.Since(began)
}

const (
	// triageTimerFires is a little more than the incidents' triage timeout (one minute).
	triageTimerFires = 65 * time.Second
	quietWrites      = 5
)

// warmUp sends a few alerts of every kind the sections send, so that the first
// section does not pay for the worker's and starter's first connections, and checks
// that the SOC is paged.
func (b *bench) warmUp(ctx context.Context) error {
	b.log.Info("warming up")
	ds := b.sender.postAll(ctx, 5, 20, time.Now().Add(time.Minute), "warm", numbered("warm", "high"))
	if sum := summarize(ds); sum.started != 20 {
		return fmt.Errorf("warm-up: %d of 20 alerts started (%s)", sum.started, sum.firstError)
	}
	if _, missing := b.slack.await(ctx, incidentIDs(ds), 2*time.Minute); missing > 0 {
		return fmt.Errorf("warm-up: %d of 20 alerts did not page the SOC on Slack", missing)
	}
	return nil
}

// The cluster's results sit in the results file between these markers; each kind of
// run rewrites its own part and keeps the other's.
const (
	clusterBegin = "<!-- make bench -cluster: begin -->"
	clusterEnd   = "<!-- make bench -cluster: end -->"
)

// writeResults writes a run's results into the file: a dev server run replaces all
// but the cluster's part, a cluster run only that part.
func writeResults(file, results string, cluster bool) error {
	old, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	dev, clusterPart := splitResults(string(old))
	if cluster {
		clusterPart = clusterBegin + "\n" + results + clusterEnd + "\n"
	} else {
		dev = results
	}
	return os.WriteFile(file, []byte(strings.TrimRight(dev, "\n")+"\n\n"+clusterPart), 0o644)
}

// splitResults answers the dev server's results and the cluster's part (with its
// markers, or empty).
func splitResults(text string) (dev, cluster string) {
	begin := strings.Index(text, clusterBegin)
	end := strings.Index(text, clusterEnd)
	if begin < 0 || end < begin {
		return text, ""
	}
	return text[:begin] + text[end+len(clusterEnd):], text[begin:end+len(clusterEnd)] + "\n"
}
