package server

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"xsoc/config"
	"xsoc/workflows/api"
)

// slaCollector exposes the managers' figures to Prometheus, read from durable state
// when /metrics is scraped (at most once per slaScrapeEvery; scrapes in between get
// the same figures), so that nothing is counted in the starter's memory and a
// restarted starter answers the same:
//
//   - xsoc_incidents_open{customer,sla_state}: visibility counts of running incidents;
//   - xsoc_sla_breaches_total{customer,clock}: the Account's lifetime breach counts,
//     counted when a breached incident concludes;
//   - xsoc_time_to_acknowledge_seconds{customer}: the Account's lifetime histogram of
//     opened → acknowledged, observed when the incident concludes.
//
// A customer whose figures cannot be read is left out of that scrape (and logged),
// rather than shown with stale or zero figures.
type slaCollector struct {
	s *Server

	open, breaches, ack *prometheus.Desc

	mu      sync.Mutex
	readAt  time.Time
	metrics []prometheus.Metric
}

// slaScrapeEvery bounds how often a scrape reads Temporal.
const slaScrapeEvery = 15 * time.Second

func newSLACollector(s *Server) *slaCollector {
	return &slaCollector{s: s,
		open: prometheus.NewDesc("xsoc_incidents_open", "Running incidents by customer and SLA state (from visibility).",
			[]string{"customer", "sla_state"}, nil),
		breaches: prometheus.NewDesc("xsoc_sla_breaches_total", "SLA clocks breached by concluded incidents, by customer and clock (from the Account).",
			[]string{"customer", "clock"}, nil),
		ack: prometheus.NewDesc("xsoc_time_to_acknowledge_seconds", "Opened → acknowledged by the triaging tier, of concluded incidents (from the Account).",
			[]string{"customer"}, nil),
	}
}

func (c *slaCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.open
	ch <- c.breaches
	ch <- c.ack
}

func (c *slaCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.readAt) >= slaScrapeEvery {
		c.metrics, c.readAt = c.read(), time.Now()
	}
	for _, m := range c.metrics {
		ch <- m
	}
}

// read reads every customer's figures at once.
func (c *slaCollector) read() []prometheus.Metric {
	ctx, cancel := context.WithTimeout(context.Background(), dashboardTimeout)
	defer cancel()
	customers := c.s.customers.Customers
	each := make([][]prometheus.Metric, len(customers))
	var wg sync.WaitGroup
	for i := range customers {
		customer := &customers[i]
		wg.Go(func() { each[i] = c.readCustomer(ctx, customer) })
	}
	wg.Wait()
	var all []prometheus.Metric
	for _, metrics := range each {
		all = append(all, metrics...)
	}
	return all
}

func (c *slaCollector) readCustomer(ctx context.Context, customer *config.Customer) []prometheus.Metric {
	counts, err := c.s.openCounts(ctx, customer.ID)
	if err != nil {
		c.s.log.Warn("metrics: open incidents not counted", "customer", customer.ID, "error", err)
		return nil
	}
	var perf api.Performance
	month := time.Now().In(config.LoadLocation(customer.Timezone)).Format("2006-01")
	if err := c.s.query(ctx, api.AccountWorkflowID(customer.ID), api.QueryPerformance, &perf, month); err != nil {
		c.s.log.Warn("metrics: the account's figures not read", "customer", customer.ID, "error", err)
		return nil
	}
	var metrics []prometheus.Metric
	for _, state := range slaStates {
		metrics = append(metrics, prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(counts[state]), customer.ID, state))
	}
	for _, clock := range []string{api.ClockAck, api.ClockVerdict, api.ClockContain} {
		metrics = append(metrics, prometheus.MustNewConstMetric(c.breaches, prometheus.CounterValue, float64(perf.BreachTotals[clock]), customer.ID, clock))
	}
	buckets := map[float64]uint64{}
	for i, bound := range api.TimeToAckBuckets {
		if i < len(perf.TimeToAck.Buckets) {
			buckets[bound] = perf.TimeToAck.Buckets[i]
		}
	}
	metrics = append(metrics, prometheus.MustNewConstHistogram(c.ack, perf.TimeToAck.Count, perf.TimeToAck.SumSeconds, buckets, customer.ID))
	return metrics
}
