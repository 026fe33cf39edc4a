package events

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	webhooks, signatures, relays *prometheus.CounterVec
	relayDuration, attempts      prometheus.Histogram
	streams                      prometheus.Gauge
	pushed, redisErrors          prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (metrics, error) {
	m := metrics{
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vaultgate_webhooks_total",
			Help: "Apideck webhook deliveries, by outcome."}, []string{"outcome"}),
		signatures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vaultgate_webhook_signatures_total",
			Help: "Verified webhook signatures, by the canonical form and encoding that matched."}, []string{"form", "encoding"}),
		relays: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vaultgate_relay_requests_total",
			Help: "Events relayed to EVENTS_RELAY_URL, by outcome."}, []string{"outcome"}),
		relayDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vaultgate_relay_duration_seconds",
			Help: "How long the app took to answer a relayed event.", Buckets: prometheus.DefBuckets}),
		attempts: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "vaultgate_webhook_execution_attempt",
			Help:    "payload.execution_attempt of received events: 4 or more means Apideck's deliveries keep failing.",
			Buckets: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vaultgate_event_streams",
			Help: "Open /connections/events streams."}),
		pushed: prometheus.NewCounter(prometheus.CounterOpts{Name: "vaultgate_events_pushed_total",
			Help: "Connection events handed to streams."}),
		redisErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "vaultgate_event_redis_errors_total",
			Help: "Failed Redis calls for webhook dedupe and event fan-out (each falls back to this process)."}),
	}
	for _, c := range []prometheus.Collector{m.webhooks, m.signatures, m.relays, m.relayDuration, m.attempts, m.streams, m.pushed, m.redisErrors} {
		if err := reg.Register(c); err != nil {
			return metrics{}, err
		}
	}
	// Every series exists from the start, so dashboards and alerts see zeros.
	for _, o := range []string{OutcomeAccepted, OutcomeInvalidSignature, OutcomeInvalid, OutcomeTooLarge,
		OutcomeURLCheck, OutcomeStale, OutcomeDuplicate, OutcomeBusy, OutcomeRelayFailed} {
		m.webhooks.WithLabelValues(o)
	}
	for _, f := range []string{FormRaw, FormSortedExceptArrays, FormSortedEverywhere} {
		m.signatures.WithLabelValues(f, "hex")
		m.signatures.WithLabelValues(f, "base64")
	}
	for _, o := range []string{relayOK, relayStatus, relayRedirect, relayTimeout, relayNetwork} {
		m.relays.WithLabelValues(o)
	}
	return m, nil
}
