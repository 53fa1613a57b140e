package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"

	"xsoc/workflows/api"
)

// workerMetrics are the SDK's own metrics (task schedule-to-start and execution
// latencies, free task slots, pollers, the sticky cache, workflow and activity
// outcomes) in Prometheus form, through the SDK's tally handler: the names and
// labels of Temporal's SDK metrics reference and dashboards
// (temporal_workflow_task_schedule_to_start_latency_seconds_bucket, ...).
type workerMetrics struct {
	handler client.MetricsHandler
	http    http.Handler
	close   func()
}

// latencyBuckets (seconds) reach past the SDK reporter's 10 s: in an alert storm a
// task waits longer, and the runbook's thresholds (docs/operations.md) sit between 1 s
// and a minute.
var latencyBuckets = []float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120}

// newWorkerMetrics builds the SDK's metrics handler and the /metrics handler that
// serves it, with the Go runtime's and the process's metrics and the build that runs.
func newWorkerMetrics(log *slog.Logger, buildID string) workerMetrics {
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "xsoc_worker_build_info",
		Help:        "The build this worker runs, as a version of the Worker Deployment (always 1).",
		ConstLabels: prometheus.Labels{"deployment": api.DeploymentName, "build_id": buildID},
	})
	build.Set(1)
	registry.MustRegister(build)
	var once sync.Once
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:              registry,
		DefaultTimerType:        tallyprom.HistogramTimerType,
		DefaultHistogramBuckets: latencyBuckets,
		// A metric the SDK reports with two label sets cannot be registered twice; the
		// worker keeps running without it rather than panic.
		OnRegisterError: func(err error) {
			once.Do(func() { log.Warn("a worker metric could not be registered (further ones not logged)", "error", err) })
		},
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
		// tally's own cardinality gauges say nothing to an operator of xsoc.
		OmitCardinalityMetrics: true,
	}, time.Second)
	return workerMetrics{
		handler: sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope)),
		http:    reporter.HTTPHandler(),
		close: func() {
			if err := closer.Close(); err != nil {
				log.Warn("closing the worker's metrics", "error", err)
			}
		},
	}
}

// readiness is what the worker's /readyz answers: 503 until it polls its task queue,
// its build's promotion is settled and the per-customer entities run; then 200 with
// the build and the deployment's current version at that moment.
type readiness struct {
	mu    sync.Mutex
	ready bool
	text  string
}

func (r *readiness) set(text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ready, r.text = true, text
}

func (r *readiness) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	r.mu.Lock()
	ready, text := r.ready, r.text
	r.mu.Unlock()
	if !ready {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	_, _ = fmt.Fprintln(w, text) // a probe that went away needs no answer
}

// workerMux serves /metrics and /readyz on the worker's own listener, and Go's
// profiles under /debug/pprof/ when XSOC_WORKER_PPROF=1 (where a worker's CPU goes
// in a storm: make bench's worm section reads it).
func workerMux(metrics http.Handler, ready http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	mux.Handle("GET /readyz", ready)
	if os.Getenv("XSOC_WORKER_PPROF") == "1" {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	}
	return mux
}

// serveHTTP serves the worker's /metrics and /readyz; the address is bound before
// anything else starts, so that a taken port stops the worker at once.
func serveHTTP(log *slog.Logger, address string, handler http.Handler) (stop func(), err error) {
	listener, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("XSOC_WORKER_METRICS_LISTEN=%s: %w", address, err)
	}
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := server.Serve(listener); !errors.Is(err, http.ErrServerClosed) {
			log.Error("the worker's metrics listener stopped", "address", address, "error", err)
		}
	}()
	log.Info("worker metrics and readiness served", "metrics", "http://"+listener.Addr().String()+"/metrics",
		"readyz", "http://"+listener.Addr().String()+"/readyz")
	return func() { _ = server.Close() }, nil
}
