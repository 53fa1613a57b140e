// Command bench measures xsoc on this machine against Temporal itself (`make bench`):
// the no-op workflow rate of the same dev server as the baseline, then alert intake
// throughput and latency (HTTP → incident started → first page in Mailpit), a burst of
// a month of alerts, and the worker's memory with many open incidents. It prints a
// table and writes it, with how to read it, to bench/results.md.
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
	"strings"
	"time"

	"xsoc/config"
	"xsoc/internal/devstack"
)

//go:embed customers.yaml
var customersFile []byte

const (
	customerID    = "bench"
	webhookSecret = "bench-webhook-secret"
)

type settings struct {
	concurrency int
	sustain     time.Duration
	rates       []float64
	ratePeriod  time.Duration
	burst       int
	open        []int
	openBudget  time.Duration
	pragmas     []string
	out         string
}

func main() {
	s := settings{concurrency: 50, rates: []float64{2, 10, 20}, open: []int{1000, 10000}}
	flag.DurationVar(&s.sustain, "sustain", 10*time.Second, "how long the baseline and the sustained intake run")
	flag.DurationVar(&s.ratePeriod, "rate-period", 30*time.Second, "how long each fixed offered rate runs")
	flag.IntVar(&s.burst, "burst", 2000, "alerts in the burst")
	openList := flag.String("open", "1000,10000", "open incidents at which the worker's memory is read")
	flag.DurationVar(&s.openBudget, "open-budget", 6*time.Minute, "time allowed to open the incidents of the memory measurement")
	pragmas := flag.String("sqlite-pragmas", "journal_mode=wal,synchronous=normal", "the dev server's SQLite pragmas, as `make run` sets them (empty: SQLite's defaults)")
	flag.StringVar(&s.out, "out", "bench/results.md", "where to write the results")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	s.open = nil
	for field := range strings.SplitSeq(*openList, ",") {
		var n int
		if _, err := fmt.Sscan(field, &n); err != nil || n <= 0 {
			log.Error("bad -open", "value", field)
			os.Exit(2)
		}
		s.open = append(s.open, n)
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

func run(ctx context.Context, s settings, log *slog.Logger) (err error) {
	began := time.Now()
	log.Info("starting the stack")
	stack, err := devstack.Start(ctx, devstack.Options{
		Customers: func(map[string]string) ([]byte, error) { return customersFile, nil },
		// gctrace: the worker's log tells its live heap and goroutine stacks.
		Env:           []string{"BENCH_WEBHOOK_SECRET=" + webhookSecret, "GODEBUG=gctrace=1"},
		PersistDB:     true,
		SQLitePragmas: s.pragmas,
	})
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
	customers, err := config.ParseCustomers("bench/customers.yaml", customersFile, func(name string) (string, bool) {
		return webhookSecret, name == "BENCH_WEBHOOK_SECRET"
	})
	if err != nil {
		return err
	}
	customer, _ := customers.Customer(customerID)

	mail := newMailbox(stack.MailpitURL, log)
	follow, stopFollowing := context.WithCancel(ctx)
	defer stopFollowing()
	go mail.follow(follow)
	sender := newAlertSender(stack.StarterURL, customerID, webhookSecret, s.concurrency)
	r := newReport(s)

	log.Info("warming up")
	warm := sender.closedLoop(ctx, 5, 20, time.Now().Add(time.Minute), "warm", "high", "warm-host")
	if sum := summarize(warm); sum.started != 20 {
		return fmt.Errorf("warm-up: %d of 20 alerts started (%s)", sum.started, sum.firstError)
	}
	mail.await(ctx, alertIDs(warm), time.Minute)

	log.Info("baseline: no-op workflows", "concurrency", s.concurrency, "for", s.sustain)
	if r.baseline, err = runBaseline(ctx, stack.Temporal, s.concurrency, s.sustain); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}

	log.Info("sustained intake", "concurrency", s.concurrency, "for", s.sustain)
	sustained := sender.closedLoop(ctx, s.concurrency, 0, time.Now().Add(s.sustain), "sustained", "high", "sustained-host")
	r.sustained = measure(ctx, mail, sustained, 0)

	for _, rate := range s.rates {
		log.Info("fixed offered rate", "alerts_per_second", rate, "for", s.ratePeriod)
		host := fmt.Sprintf("rate%g-host", rate)
		deliveries := sender.openLoop(ctx, rate, s.ratePeriod, fmt.Sprintf("rate%g", rate), "high", host)
		r.rates = append(r.rates, measure(ctx, mail, deliveries, rate))
	}

	log.Info("burst", "alerts", s.burst, "concurrency", s.concurrency)
	burst := sender.closedLoop(ctx, s.concurrency, s.burst, time.Now().Add(10*time.Minute), "burst", "high", "burst-host")
	r.burst = measure(ctx, mail, burst, 0)
	r.burstCheck, err = checkBurst(ctx, stack, mail, burst, s.burst)
	if err != nil {
		return fmt.Errorf("burst: %w", err)
	}

	log.Info("worker memory with open incidents", "targets", s.open)
	r.memory, err = runMemory(ctx, stack, *customer, s.open, s.concurrency, time.Now().Add(s.openBudget))
	if err != nil {
		return fmt.Errorf("memory: %w", err)
	}

	// A page sent twice would show up late (a retried activity): count again at the end.
	r.burstCheck.doubledPages = doubledPages(mail, burst)
	r.elapsed = time.Since(began)
	r.describe()
	fmt.Print(r.markdown())
	if err := os.WriteFile(s.out, []byte(r.markdown()), 0o644); err != nil {
		return err
	}
	log.Info("results written", "file", s.out, "took", r.elapsed.Round(time.Second))
	if !r.burstCheck.ok() {
		return errors.New("the burst lost or doubled alerts: see " + s.out)
	}
	return nil
}
