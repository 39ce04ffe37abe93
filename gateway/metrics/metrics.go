package metrics

import (
	"net/http"
	"runtime"
	"sort"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"mugai/sanitize"
)

// Namespace prefixes every metric name of the gateway.
const Namespace = "mugai"

// Label values known up front. Callers use these constants so that a typo
// cannot create a new series, and New/InitRoute create them at zero.
const (
	// smtp_connections_total{result}
	ConnAccepted = "accepted" // session started
	ConnRefused  = "refused"  // client address not in the route's networks
	ConnLimited  = "limited"  // connection limit (total or per client) reached

	// smtp_rejects_total{stage}
	StageConnect  = "connect"
	StageHelo     = "helo"
	StageStartTLS = "starttls"
	StageMail     = "mail"
	StageRcpt     = "rcpt"
	StageData     = "data"
	StageSession  = "session" // the session time limit: 421 and closed

	// recipient_verify_total{result}: the next hop's answer to a probe,
	// or why none was made.
	VerifyExists       = "exists"
	VerifyNoSuchUser   = "no_such_user"
	VerifyInconclusive = "inconclusive"  // a refusal not about the mailbox: 450
	VerifyFailed       = "failed"        // no answer from the next hop: 450
	VerifyCached       = "cached"        // answered from the last 5 minutes' answers
	VerifyNextHopDown  = "next_hop_down" // 450 without a probe after a failed one
	VerifyRateLimited  = "rate_limited"  // 450 without a probe: over the probe budget

	// next_hop_suspended{hop} and delivery_suspended_total{hop}: the
	// route's next hop (deliver) or its bounces target.
	HopDeliver = "deliver"
	HopBounces = "bounces"

	// messages_verdict_total{verdict}
	VerdictRebuilt  = "rebuilt"  // sanitised and rebuilt
	VerdictRejected = "rejected" // refused in the session by policy or fail-closed
	VerdictPassed   = "passed"   // route policy "none": relayed as received

	// sanitize_findings_total{kind}: a kind the sanitiser does not list
	// (none should exist) is counted here rather than as a new series.
	FindingOther = "other"
	// sanitize_actions_total{action}: the same for an action.
	ActionOther = "other"

	// attachments_total{decision}
	DecisionKeep   = "keep"
	DecisionStrip  = "strip"
	DecisionReject = "reject"

	// queue_messages{state}
	StateActive   = "active"
	StateDeferred = "deferred"
	StateFailed   = "failed"

	// delivery_attempts_total{result}
	DeliveryDelivered = "delivered" // next hop answered 2xx
	DeliveryDeferred  = "deferred"  // temporary failure, will retry
	DeliveryFailed    = "failed"    // permanent failure or too old: bounced

	// quarantine_purged_total{reason}
	PurgeRetention = "retention" // the scheduled purge of quarantine.retention
	PurgeMaxBytes  = "max_bytes" // the store made room under quarantine.max_bytes
	PurgeManual    = "manual"    // mugai quarantine purge, by an administrator
	// The message was refused (451) after its original was kept: the
	// spool could not take it.
	PurgeNotAccepted = "not_accepted"

	// quarantine_reads_total{part}: what of an unsanitised original an
	// administrator was handed (mugai quarantine show -original/-headers)
	ReadOriginal = "original"
	ReadHeaders  = "headers"
	// quarantine_reads_total{result}
	ReadDone    = "read"
	ReadRefused = "refused"

	// quarantine_release_refusals_total{reason}: why a release was not
	// queued, one value per HTTP status of the refusal.
	ReleaseInvalid    = "invalid"          // 400: incomplete or contradictory request
	ReleaseNotAllowed = "not_allowed"      // 403: recipient, route or policy not allowed
	ReleaseNotFound   = "not_found"        // 404: no such original
	ReleaseReleased   = "already_released" // 409: already released to those recipients, or a release of it is under way
	ReleaseError      = "error"            // integrity, storage or audit trail failure
	// 403: more recipients than the delivering route's max_recipients
	ReleaseTooManyRecipients = "too_many_recipients"
	// a released untouched original that the configuration in force no
	// longer lets go where it was released to (a reload since), refused
	// at delivery: its recipients fail
	ReleaseNoLongerAllowed = "no_longer_allowed"

	// config_reloads_total{result}
	ReloadSuccess = "success"
	ReloadFailure = "failure"

	// disk_free_bytes{path}
	DiskSpool      = "spool"
	DiskQuarantine = "quarantine"
	DiskTemp       = "temp"  // where large messages spill while sanitised
	DiskAudit      = "audit" // the file system of the audit trail

	// storage_errors_total{store}: the gateway's own files that could not
	// be written (a full disk, no inodes left, an I/O error, a read-only
	// file system).
	StoreSpool      = "spool"
	StoreQuarantine = "quarantine"
	StoreTemp       = "temp"
	StoreAudit      = "audit"

	// admin_refused_total{reason}
	AdminRefusedRemote      = "remote"       // the client is not on the gateway host
	AdminRefusedToken       = "token"        // no valid control token (a forwarder or proxy on the host, a local user)
	AdminRefusedHost        = "host"         // Host is a name other than localhost (DNS rebinding)
	AdminRefusedCrossOrigin = "cross-origin" // a browser's cross-site state change
	AdminRefusedContentType = "content-type" // a body that is not JSON (a form post)
	AdminRefusedAuditDown   = "audit-down"   // a requeue, a delete or lockdown off while the audit trail cannot be written

	// lockdown_calls_total{result}: what an operator's lockdown on or
	// off did. The already- results are the audit records' verdicts.
	LockdownCallOn         = "on"          // switched on
	LockdownCallOff        = "off"         // switched off
	LockdownCallAlreadyOn  = "already-on"  // on while on: the stamp in force stays
	LockdownCallAlreadyOff = "already-off" // off while off
	LockdownCallError      = "error"       // off refused: the marker could not be removed

	// control_refusals_total{call}: the operator's control calls other
	// than a release (quarantine_release_refusals_total counts those)
	ControlPurge    = "purge"    // mugai quarantine purge
	ControlLockdown = "lockdown" // mugai ctl lockdown
	ControlRequeue  = "requeue"  // mugai queue requeue
	ControlDelete   = "delete"   // mugai queue delete
	// control_refusals_total{reason}
	ControlInvalid = "invalid" // 400: a body that is not JSON, past 64 KiB or with a key the call does not take; a user, reason or age that does not pass
)

// Classes are the attachment families of sanitize/filetype, in the order
// used for attachments_total{class}.
var Classes = []string{"executable", "archive", "encrypted-archive", "office", "pdf", "image", "text", "other"}

// Decisions are the attachment decisions of a policy.
var Decisions = []string{DecisionKeep, DecisionStrip, DecisionReject}

// Actions are the sanitiser's report actions (sanitize.ActionKinds),
// and ActionOther for any it does not list (none should exist), created
// at zero in sanitize_actions_total{action}.
var Actions = append(sanitize.ActionKinds(), ActionOther)

// Bucket layouts. Byte buckets go from 1 KiB to 64 MiB in steps of 4 so a
// histogram_quantile over them is good to a factor of 2; duration buckets
// cover the SMTP timescales from a millisecond to the 10-minute DATA
// timeout of RFC 5321 4.5.3.2.
var (
	sizeBuckets     = prometheus.ExponentialBuckets(1024, 4, 9) // 1KiB … 64MiB
	sanitizeBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	acceptBuckets   = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	deliverBuckets  = []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}
)

// Metrics is every collector of the gateway. The fields are safe for
// concurrent use; the server, spool, delivery and quarantine code update
// them directly.
type Metrics struct {
	// Sessions.
	SMTPConnections     *prometheus.CounterVec // mugai_smtp_connections_total{route,result}
	SMTPSessionsActive  *prometheus.GaugeVec   // mugai_smtp_sessions_active{route}
	SMTPTLSSessions     *prometheus.CounterVec // mugai_smtp_tls_sessions_total{route}
	SMTPRejects         *prometheus.CounterVec // mugai_smtp_rejects_total{route,stage,code}
	MailLoops           *prometheus.CounterVec // mugai_mail_loops_total{route}
	DuplicateRecipients *prometheus.CounterVec // mugai_smtp_duplicate_recipients_total{route}
	// mugai_smtp_recipients_policy_split_total{route}
	RecipientsPolicySplit *prometheus.CounterVec
	RecipientVerify       *prometheus.CounterVec // mugai_recipient_verify_total{route,result}

	// Messages and sanitising.
	MessagesReceived *prometheus.CounterVec   // mugai_messages_received_total{route}
	MessageSize      *prometheus.HistogramVec // mugai_message_size_bytes{route}
	MessagesVerdict  *prometheus.CounterVec   // mugai_messages_verdict_total{route,policy,verdict}
	SanitizeActions  *prometheus.CounterVec   // mugai_sanitize_actions_total{action}
	SanitizeFindings *prometheus.CounterVec   // mugai_sanitize_findings_total{kind}
	Attachments      *prometheus.CounterVec   // mugai_attachments_total{decision,class}
	SanitizeDuration prometheus.Histogram     // mugai_sanitize_duration_seconds
	SanitizePanics   prometheus.Counter       // mugai_sanitize_panics_total
	AcceptDuration   *prometheus.HistogramVec // mugai_accept_duration_seconds{route}

	// Queue and delivery.
	QueueMessages         *prometheus.GaugeVec     // mugai_queue_messages{route,state}
	QueueOldestMessageAge *prometheus.GaugeVec     // mugai_queue_oldest_message_age_seconds{route}
	DeliveryAttempts      *prometheus.CounterVec   // mugai_delivery_attempts_total{route,result}
	DeliveryDuration      *prometheus.HistogramVec // mugai_delivery_duration_seconds{route}
	DeliveryTimeouts      *prometheus.CounterVec   // mugai_delivery_timeouts_total{route}
	DeliveryUnsanitised   *prometheus.CounterVec   // mugai_delivery_unsanitised_refused_total{route}
	DeliveryTLSFallbacks  *prometheus.CounterVec   // mugai_delivery_tls_fallbacks_total{route}
	// mugai_next_hop_last_reply_timestamp_seconds{route},
	// mugai_next_hop_last_unreachable_timestamp_seconds{route} and
	// mugai_next_hop_last_accepted_timestamp_seconds{route}: when a
	// delivery attempt last got the next hop's replies, last got none,
	// and last had a recipient accepted (0: not since the start). They
	// hold between attempts, so an alert on them holds while retries are
	// an hour apart, where a rate of attempts has nothing to compare.
	NextHopLastReply       *prometheus.GaugeVec
	NextHopLastUnreachable *prometheus.GaugeVec
	NextHopLastAccepted    *prometheus.GaugeVec
	// mugai_next_hop_suspended{route,hop}: 1 while delivery to the
	// route's next hop (hop "deliver") or to its bounces target (hop
	// "bounces") is suspended after it could not be reached; and
	// mugai_delivery_suspended_total{route,hop}: the messages that
	// were due then and waited without an attempt, each time.
	NextHopSuspended  *prometheus.GaugeVec
	DeliverySuspended *prometheus.CounterVec
	Bounces           *prometheus.CounterVec // mugai_bounces_total{route}
	QueuePurged       *prometheus.CounterVec // mugai_queue_purged_total{route}

	// Quarantine.
	QuarantineMessages prometheus.Gauge       // mugai_quarantine_messages
	QuarantineBytes    prometheus.Gauge       // mugai_quarantine_bytes
	QuarantineReleases prometheus.Counter     // mugai_quarantine_releases_total
	QuarantinePurged   *prometheus.CounterVec // mugai_quarantine_purged_total{reason}
	QuarantineFull     prometheus.Counter     // mugai_quarantine_full_total
	// mugai_quarantine_orphaned_originals{route}: originals kept for a
	// route the configuration no longer has; a series only for such a
	// route (a removed or renamed route: few, never an address)
	QuarantineOrphaned *prometheus.GaugeVec
	// mugai_quarantine_release_refusals_total{reason}: releases refused or failed
	QuarantineReleaseRefusals *prometheus.CounterVec
	// mugai_quarantine_reads_total{part,result}: originals read out
	QuarantineReads *prometheus.CounterVec
	// mugai_quarantine_release_failures_total{route}: released messages
	// that failed for good, not bounced to their sender
	QuarantineReleaseFailures *prometheus.CounterVec

	// Process.
	ConfigReloads           *prometheus.CounterVec // mugai_config_reloads_total{result}
	ConfigLastReloadSuccess prometheus.Gauge       // mugai_config_last_reload_success_timestamp_seconds
	ConfigLastReloadOK      prometheus.Gauge       // mugai_config_last_reload_successful (1 at New)
	BuildInfo               *prometheus.GaugeVec   // mugai_build_info{version,goversion}
	DiskFree                *DiskFree              // mugai_disk_free_bytes{path}
	DiskMinFree             *prometheus.GaugeVec   // mugai_disk_min_free_bytes{path}
	StorageErrors           *prometheus.CounterVec // mugai_storage_errors_total{store}
	LockdownEnabled         prometheus.Gauge       // mugai_lockdown_enabled
	LockdownCalls           *prometheus.CounterVec // mugai_lockdown_calls_total{result}
	AdminRefused            *prometheus.CounterVec // mugai_admin_refused_total{reason}
	ControlRefusals         *prometheus.CounterVec // mugai_control_refusals_total{call,reason}

	reg     *prometheus.Registry
	handler http.Handler
}

// New creates the gateway's metrics in a registry of their own, together
// with the standard Go and process collectors and build_info for version.
// Every metric without a route label, and every combination of known label
// values, exists at zero from the start; call InitRoute for each
// configured route to do the same for the per-route series.
func New(version string) *Metrics {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: buckets}, labels)
	}

	m := &Metrics{
		SMTPConnections: counter("smtp_connections_total",
			"SMTP connections by route and result (accepted, refused: client not allowed, limited: connection limit).", "route", "result"),
		SMTPSessionsActive: gauge("smtp_sessions_active",
			"SMTP sessions currently open.", "route"),
		SMTPTLSSessions: counter("smtp_tls_sessions_total",
			"SMTP sessions that completed STARTTLS.", "route"),
		SMTPRejects: counter("smtp_rejects_total",
			"SMTP commands refused, by stage (connect, helo, starttls, mail, rcpt, data; session: connections closed at the session time limit) and reply code.", "route", "stage", "code"),
		DuplicateRecipients: counter("smtp_duplicate_recipients_total",
			"RCPT commands naming a recipient already accepted in the transaction (in any form): answered 250, delivered once.", "route"),
		RecipientsPolicySplit: counter("smtp_recipients_policy_split_total",
			"RCPT commands answered 452 4.5.3 because the rules check that recipient's mail under another policy than the first recipient's of the transaction: the sending server sends it in a message of its own (also in mugai_smtp_rejects_total{stage=\"rcpt\",code=\"452\"}).", "route"),
		RecipientVerify: counter("recipient_verify_total",
			"Recipients checked with the next hop (recipients: {verify: next-hop}), by result: exists, no_such_user, inconclusive, failed (a probe that got no answer), cached (no probe), next_hop_down (450 without a probe after a failed one), rate_limited (450 without a probe: over the probe budget).", "route", "result"),

		MailLoops: counter("mail_loops_total",
			"Messages refused with 554 5.4.6 at the end of DATA for coming with more than 100 Received fields, this gateway's own trace among them: a mail loop through it. Every message refused so, loop or forged trace, is in mugai_smtp_rejects_total{stage=\"data\",code=\"554\"}.", "route"),

		MessagesReceived: counter("messages_received_total",
			"Messages whose DATA was received completely.", "route"),
		MessageSize: histogram("message_size_bytes",
			"Size of received messages as sent, in bytes.", sizeBuckets, "route"),
		MessagesVerdict: counter("messages_verdict_total",
			"Messages by route, policy and verdict (rebuilt, rejected, passed): rebuilt and passed once queued; a message refused with 451 because mugai could not write it is not counted (its sender retries).", "route", "policy", "verdict"),
		SanitizeActions: counter("sanitize_actions_total",
			"Messages on which the sanitiser took an action (html-to-text, links-defanged, attachment-stripped, ...).", "action"),
		SanitizeFindings: counter("sanitize_findings_total",
			"Findings in sanitiser reports by kind (duplicate-content-type, charset-mislabeled, encoded-word-in-text, ...; see sanitize.FindingKinds).", "kind"),
		Attachments: counter("attachments_total",
			"Attachments by decision (keep, strip, reject) and sniffed class.", "decision", "class"),
		SanitizeDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "sanitize_duration_seconds",
			Help: "Time spent sanitising one message.", Buckets: sanitizeBuckets}),
		SanitizePanics: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "sanitize_panics_total",
			Help: "Panics caught in the sanitiser (the message took the fail-closed path)."}),
		AcceptDuration: histogram("accept_duration_seconds",
			"Time from the end of DATA to the final reply (sanitise, quarantine, spool fsync).", acceptBuckets, "route"),

		QueueMessages: gauge("queue_messages",
			"Messages in the spool by state (active, deferred, failed).", "route", "state"),
		QueueOldestMessageAge: gauge("queue_oldest_message_age_seconds",
			"Age of the oldest message waiting for delivery (since it was received, or requeued with mugai queue requeue), 0 when the queue is empty.", "route"),
		DeliveryAttempts: counter("delivery_attempts_total",
			"Delivery attempts to the next hop, one per recipient, by result (delivered, deferred, failed).", "route", "result"),
		DeliveryDuration: histogram("delivery_duration_seconds",
			"Duration of one delivery attempt to the next hop.", deliverBuckets, "route"),
		NextHopLastReply: gauge("next_hop_last_reply_timestamp_seconds",
			"When a delivery attempt on the route last got its next hop's replies (whatever their codes), as a Unix time; 0 when none has since the gateway started. Attempts for bounces, which go to the route's bounces next hop, are not counted.", "route"),
		NextHopLastUnreachable: gauge("next_hop_last_unreachable_timestamp_seconds",
			"When a delivery attempt on the route last got no reply from its next hop (connection refused or timed out, TLS required and failed, the session broken or cut off by deliver.attempt_timeout, a 421, a refusal of the greeting or EHLO), as a Unix time; 0 when none has since the gateway started. Attempts for bounces, and a message the spool could not read, are not counted.", "route"),
		NextHopLastAccepted: gauge("next_hop_last_accepted_timestamp_seconds",
			"When a delivery attempt on the route last had its message accepted by the next hop for at least one recipient (a 2xx to the end of data), as a Unix time; 0 when none has since the gateway started. Set with the last reply, so a later reply means the next hop has refused everything since. Attempts for bounces are not counted.", "route"),
		NextHopSuspended: gauge("next_hop_suspended",
			"1 while delivery on the route to its next hop (hop=\"deliver\") or to its bounces target (hop=\"bounces\") is suspended: an attempt found it unreachable (no connection, no greeting or a 421, TLS required and not set up), and due messages wait without an attempt until one probe finds it again, after retry.initial, doubling up to retry.max. 0 otherwise.", "route", "hop"),
		DeliverySuspended: counter("delivery_suspended_total",
			"Messages that were due while delivery to their next hop was suspended (mugai_next_hop_suspended) and were put back to wait without an attempt, counted each time; no record is written for them.", "route", "hop"),
		DeliveryTimeouts: counter("delivery_timeouts_total",
			"Delivery attempts cut off because they exceeded deliver.attempt_timeout (a next hop too slow as a whole, though each reply came within the command timeout); their recipients were deferred.", "route"),
		DeliveryUnsanitised: counter("delivery_unsanitised_refused_total",
			"Recipients of a message accepted unsanitised on a pass-through route (policy none) failed instead of delivered, because a reload made the route sanitise while the message waited in the queue.", "route"),
		DeliveryTLSFallbacks: counter("delivery_tls_fallbacks_total",
			"Connections to the next hop (tls: opportunistic) that went on in plaintext although it offered STARTTLS: it refused the command, or the TLS handshake failed and the mail was sent on a plaintext connection.", "route"),
		QueuePurged: counter("queue_purged_total",
			"Messages that had failed for good (their senders had the notice), deleted from the queue after the hop's retry.keep_failed; each has an audit record.", "route"),
		Bounces: counter("bounces_total",
			"Delivery status notifications generated for failed messages.", "route"),

		QuarantineMessages: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "quarantine_messages",
			Help: "Originals held in quarantine."}),
		QuarantineBytes: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "quarantine_bytes",
			Help: "Bytes of originals held in quarantine."}),
		QuarantineReleases: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "quarantine_releases_total",
			Help: "Originals released from quarantine by an administrator."}),
		QuarantinePurged: counter("quarantine_purged_total",
			"Originals deleted from quarantine, by reason (retention: the scheduled purge, max_bytes: the store was full, manual: mugai quarantine purge, not_accepted: the message was refused with 451 after its original was kept).", "reason"),
		QuarantineFull: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "quarantine_full_total",
			Help: "Originals not kept because the quarantine was full (the sanitised message was still delivered)."}),
		QuarantineOrphaned: gauge("quarantine_orphaned_originals",
			"Originals in quarantine whose route (the label) is no longer configured (removed or renamed): they cannot be released under a policy. Only such routes have a series.", "route"),
		QuarantineReleaseRefusals: counter("quarantine_release_refusals_total",
			"Releases from quarantine refused or failed, by reason (invalid, not_allowed, not_found, already_released: delivered to those recipients before and not asked to again, too_many_recipients: more than the route's max_recipients, no_longer_allowed: a queued untouched original whose recipient or route a reload has since taken out of what release_original_to allows, at delivery, error: integrity, storage or audit trail); each has an audit record.", "reason"),
		QuarantineReleaseFailures: counter("quarantine_release_failures_total",
			"Messages released from quarantine whose delivery failed for good (refused or expired at the next hop), by route. They are not bounced to the sender (usually on the internet side); they stay in the queue as failed for an administrator.", "route"),
		QuarantineReads: counter("quarantine_reads_total",
			"Unsanitised originals (part original) or their header sections (part headers) asked for by an administrator, by result (read: handed out, refused); each has an audit record.", "part", "result"),

		ConfigReloads: counter("config_reloads_total",
			"Configuration reloads by result (success, failure).", "result"),
		ConfigLastReloadSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "config_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful configuration load."}),
		ConfigLastReloadOK: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "config_last_reload_successful",
			Help: "1 when the last configuration load or reload succeeded, 0 while the server runs on an older configuration because the last reload failed."}),
		BuildInfo: gauge("build_info",
			"Always 1; the labels name the running build.", "version", "goversion"),
		DiskFree: &DiskFree{
			desc: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "disk_free_bytes"),
				"Bytes available to the gateway on the file system of the spool, the quarantine, the temporary files (temp) or the audit trail.", []string{"path"}, nil),
			fns: map[string]func() (float64, error){},
		},
		DiskMinFree: gauge("disk_min_free_bytes",
			"The floor (spool_min_free) under which MAIL is refused with 452 4.3.1: bytes that must stay free on the file system of the spool, and of the quarantine while a route sanitises (path quarantine has no sample otherwise); 0 when the floor is off. Compare with disk_free_bytes.", "path"),
		StorageErrors: counter("storage_errors_total",
			"Writes to the gateway's own storage that failed (disk full, no inodes, I/O error, read-only), by store (spool, quarantine, temp, audit). Meanwhile mail is refused with 451 and senders retry; delivery waits for the spool.", "store"),
		LockdownEnabled: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "lockdown_enabled",
			Help: "1 while the emergency lockdown strips all attachments and links on sanitising routes, else 0."}),
		LockdownCalls: counter("lockdown_calls_total",
			"Lockdown on and off calls of an operator that passed their checks, by what they did (on, off: switched; already-on, already-off: the mode was as asked and nothing switched, the stamp of who turned it on stays; error: off refused, the marker could not be removed).", "result"),
		AdminRefused: counter("admin_refused_total",
			"Control calls (queue, quarantine, lockdown) refused by the admin listener, by reason (remote: the client is not on the gateway host; token: no valid control token; host, cross-origin, content-type: a browser's request; audit-down: a queue requeue or delete, or lockdown off, while the audit trail cannot be written).", "reason"),
		ControlRefusals: counter("control_refusals_total",
			"Control calls of an operator refused before they acted, other than releases (quarantine_release_refusals_total), by call (purge, lockdown, requeue, delete) and reason (invalid: a body that is not JSON or has a key the call does not take, a user, reason or age that does not pass); each has an audit record.", "call", "reason"),
	}

	m.reg = prometheus.NewRegistry()
	m.reg.MustRegister(
		m.SMTPConnections, m.SMTPSessionsActive, m.SMTPTLSSessions, m.SMTPRejects, m.MailLoops, m.DuplicateRecipients, m.RecipientsPolicySplit, m.RecipientVerify,
		m.MessagesReceived, m.MessageSize, m.MessagesVerdict, m.SanitizeActions, m.SanitizeFindings,
		m.Attachments, m.SanitizeDuration, m.SanitizePanics, m.AcceptDuration,
		m.QueueMessages, m.QueueOldestMessageAge, m.DeliveryAttempts, m.DeliveryDuration, m.DeliveryTimeouts, m.DeliveryUnsanitised, m.DeliveryTLSFallbacks, m.Bounces, m.QueuePurged,
		m.NextHopLastReply, m.NextHopLastUnreachable, m.NextHopLastAccepted, m.NextHopSuspended, m.DeliverySuspended,
		m.QuarantineMessages, m.QuarantineBytes, m.QuarantineReleases, m.QuarantinePurged, m.QuarantineFull,
		m.QuarantineReleaseRefusals, m.QuarantineReads, m.QuarantineReleaseFailures,
		m.ConfigReloads, m.ConfigLastReloadSuccess, m.ConfigLastReloadOK, m.BuildInfo, m.DiskFree, m.DiskMinFree, m.StorageErrors, m.LockdownEnabled, m.LockdownCalls, m.AdminRefused,
		m.ControlRefusals, m.QuarantineOrphaned,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)

	m.BuildInfo.WithLabelValues(version, runtime.Version()).Set(1)
	// A server that runs has loaded its configuration; only a failed
	// reload sets this to 0 (and the next good one back to 1).
	m.ConfigLastReloadOK.Set(1)
	for _, d := range Decisions {
		for _, c := range Classes {
			m.Attachments.WithLabelValues(d, c)
		}
	}
	for _, a := range Actions {
		m.SanitizeActions.WithLabelValues(a)
	}
	for _, k := range sanitize.FindingKinds() {
		m.SanitizeFindings.WithLabelValues(k)
	}
	m.SanitizeFindings.WithLabelValues(FindingOther)
	for _, r := range []string{PurgeRetention, PurgeMaxBytes, PurgeManual, PurgeNotAccepted} {
		m.QuarantinePurged.WithLabelValues(r)
	}
	for _, r := range []string{ReleaseInvalid, ReleaseNotAllowed, ReleaseNotFound, ReleaseReleased, ReleaseTooManyRecipients, ReleaseNoLongerAllowed, ReleaseError} {
		m.QuarantineReleaseRefusals.WithLabelValues(r)
	}
	for _, p := range []string{ReadOriginal, ReadHeaders} {
		for _, r := range []string{ReadDone, ReadRefused} {
			m.QuarantineReads.WithLabelValues(p, r)
		}
	}
	for _, r := range []string{ReloadSuccess, ReloadFailure} {
		m.ConfigReloads.WithLabelValues(r)
	}
	for _, st := range []string{StoreSpool, StoreQuarantine, StoreTemp, StoreAudit} {
		m.StorageErrors.WithLabelValues(st)
	}
	for _, r := range []string{AdminRefusedRemote, AdminRefusedToken, AdminRefusedHost, AdminRefusedCrossOrigin, AdminRefusedContentType, AdminRefusedAuditDown} {
		m.AdminRefused.WithLabelValues(r)
	}
	for _, c := range []string{ControlPurge, ControlLockdown, ControlRequeue, ControlDelete} {
		m.ControlRefusals.WithLabelValues(c, ControlInvalid)
	}
	for _, r := range []string{LockdownCallOn, LockdownCallOff, LockdownCallAlreadyOn, LockdownCallAlreadyOff, LockdownCallError} {
		m.LockdownCalls.WithLabelValues(r)
	}

	// ContinueOnError: a collector that fails (say statfs on a vanished
	// mount) must not take every other metric off the scrape.
	m.handler = promhttp.InstrumentMetricHandler(m.reg, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg,
	}))
	return m
}

// InitRoute creates the series of one route at zero, with policy as the
// route's default policy ("none" for a pass-through route), so that rates
// and alerts over the route work before its first message.
// InitVerdicts creates the verdict series of one policy on a route at
// zero: the route's own (InitRoute), and each a rule may pick there, so
// that a rate or an alert over a rule's policy works before its first
// message.
func (m *Metrics) InitVerdicts(route, policy string) {
	if policy == "none" {
		m.MessagesVerdict.WithLabelValues(route, policy, VerdictPassed)
		return
	}
	m.MessagesVerdict.WithLabelValues(route, policy, VerdictRebuilt)
	m.MessagesVerdict.WithLabelValues(route, policy, VerdictRejected)
}

func (m *Metrics) InitRoute(route, policy string) {
	for _, r := range []string{ConnAccepted, ConnRefused, ConnLimited} {
		m.SMTPConnections.WithLabelValues(route, r)
	}
	m.SMTPSessionsActive.WithLabelValues(route)
	m.SMTPTLSSessions.WithLabelValues(route)
	// The refusals whose reply code the RFC fixes; other codes appear when
	// they first happen.
	for _, sc := range [][2]string{
		{StageConnect, "554"},  // RFC 5321 3.1: client not allowed
		{StageConnect, "421"},  // RFC 5321 3.8: too many connections, try later
		{StageStartTLS, "550"}, // go-smtp's answer to a failed TLS handshake
		{StageRcpt, "550"},     // RFC 5321 4.2.2: relay denied, unknown user
		{StageData, "552"},     // RFC 1870 6.1: message exceeds the size limit
		{StageData, "550"},     // 550 5.7.1: policy rejected the message (RFC 3463 5.7.1)
		{StageSession, "421"},  // RFC 5321 3.8: the server closes the session
	} {
		m.SMTPRejects.WithLabelValues(route, sc[0], sc[1])
	}
	m.DuplicateRecipients.WithLabelValues(route)
	m.RecipientsPolicySplit.WithLabelValues(route)
	for _, r := range []string{VerifyExists, VerifyNoSuchUser, VerifyInconclusive, VerifyFailed, VerifyCached, VerifyNextHopDown, VerifyRateLimited} {
		m.RecipientVerify.WithLabelValues(route, r)
	}
	m.MailLoops.WithLabelValues(route)
	m.MessagesReceived.WithLabelValues(route)
	m.MessageSize.WithLabelValues(route)
	m.InitVerdicts(route, policy)
	m.AcceptDuration.WithLabelValues(route)
	for _, s := range []string{StateActive, StateDeferred, StateFailed} {
		m.QueueMessages.WithLabelValues(route, s)
	}
	m.QueueOldestMessageAge.WithLabelValues(route)
	for _, r := range []string{DeliveryDelivered, DeliveryDeferred, DeliveryFailed} {
		m.DeliveryAttempts.WithLabelValues(route, r)
	}
	m.DeliveryDuration.WithLabelValues(route)
	m.DeliveryTimeouts.WithLabelValues(route)
	m.DeliveryUnsanitised.WithLabelValues(route)
	m.DeliveryTLSFallbacks.WithLabelValues(route)
	m.NextHopLastReply.WithLabelValues(route)
	m.NextHopLastUnreachable.WithLabelValues(route)
	m.NextHopLastAccepted.WithLabelValues(route)
	m.NextHopSuspended.WithLabelValues(route, HopDeliver)
	m.DeliverySuspended.WithLabelValues(route, HopDeliver)
	m.QuarantineReleaseFailures.WithLabelValues(route)
	m.Bounces.WithLabelValues(route)
	m.QueuePurged.WithLabelValues(route)
}

// Registry is the registry every collector of the gateway is in.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition formats, for
// /metrics on the admin listener.
func (m *Metrics) Handler() http.Handler { return m.handler }

// Names lists the full name of every metric this package defines (not the
// go_, process_ and promhttp_ ones), sorted. The deploy tests check the
// dashboard and alert rules against the registry; this list is what a
// scrape must contain.
func Names() []string {
	names := []string{
		"mugai_smtp_connections_total",
		"mugai_smtp_sessions_active",
		"mugai_smtp_tls_sessions_total",
		"mugai_smtp_rejects_total",
		"mugai_mail_loops_total",
		"mugai_smtp_duplicate_recipients_total",
		"mugai_smtp_recipients_policy_split_total",
		"mugai_recipient_verify_total",
		"mugai_messages_received_total",
		"mugai_message_size_bytes",
		"mugai_messages_verdict_total",
		"mugai_sanitize_actions_total",
		"mugai_sanitize_findings_total",
		"mugai_attachments_total",
		"mugai_sanitize_duration_seconds",
		"mugai_sanitize_panics_total",
		"mugai_accept_duration_seconds",
		"mugai_queue_messages",
		"mugai_queue_oldest_message_age_seconds",
		"mugai_delivery_attempts_total",
		"mugai_delivery_duration_seconds",
		"mugai_delivery_timeouts_total",
		"mugai_delivery_unsanitised_refused_total",
		"mugai_delivery_tls_fallbacks_total",
		"mugai_next_hop_last_reply_timestamp_seconds",
		"mugai_next_hop_last_unreachable_timestamp_seconds",
		"mugai_next_hop_last_accepted_timestamp_seconds",
		"mugai_next_hop_suspended",
		"mugai_delivery_suspended_total",
		"mugai_bounces_total",
		"mugai_queue_purged_total",
		"mugai_quarantine_messages",
		"mugai_quarantine_bytes",
		"mugai_quarantine_releases_total",
		"mugai_quarantine_purged_total",
		"mugai_quarantine_full_total",
		"mugai_quarantine_release_refusals_total",
		"mugai_quarantine_reads_total",
		"mugai_quarantine_release_failures_total",
		"mugai_config_reloads_total",
		"mugai_config_last_reload_success_timestamp_seconds",
		"mugai_config_last_reload_successful",
		"mugai_build_info",
		"mugai_disk_free_bytes",
		"mugai_disk_min_free_bytes",
		"mugai_storage_errors_total",
		"mugai_lockdown_enabled",
		"mugai_lockdown_calls_total",
		"mugai_admin_refused_total",
		"mugai_control_refusals_total",
		"mugai_quarantine_orphaned_originals",
	}
	sort.Strings(names)
	return names
}

// SetFloor sets disk_min_free_bytes to floor for the spool, and for the
// quarantine when a route keeps originals (sanitises); the quarantine's
// series is removed otherwise.
func (m *Metrics) SetFloor(floor float64, quarantine bool) {
	m.DiskMinFree.WithLabelValues(DiskSpool).Set(floor)
	if quarantine {
		m.DiskMinFree.WithLabelValues(DiskQuarantine).Set(floor)
	} else {
		m.DiskMinFree.DeleteLabelValues(DiskQuarantine)
	}
}

// DiskFree is mugai_disk_free_bytes{path}: free space read at scrape time
// from functions the server sets, one per path label (DiskSpool,
// DiskQuarantine, DiskTemp, DiskAudit). A path without a function, or whose function fails,
// has no sample rather than a false 0 that would page someone.
type DiskFree struct {
	desc *prometheus.Desc
	mu   sync.Mutex
	fns  map[string]func() (float64, error)
}

// Set makes fn the source of disk_free_bytes{path}. path must be
// DiskSpool, DiskQuarantine, DiskTemp or DiskAudit (a fixed label, never
// a directory name); anything else panics, like registering a malformed
// metric. A nil fn removes the series.
func (d *DiskFree) Set(path string, fn func() (float64, error)) {
	switch path {
	case DiskSpool, DiskQuarantine, DiskTemp, DiskAudit:
	default:
		panic("metrics: disk_free_bytes path label must be " + DiskSpool + ", " + DiskQuarantine + ", " + DiskTemp + " or " + DiskAudit + ", not " + path)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if fn == nil {
		delete(d.fns, path)
		return
	}
	d.fns[path] = fn
}

// Describe implements prometheus.Collector.
func (d *DiskFree) Describe(ch chan<- *prometheus.Desc) { ch <- d.desc }

// Collect implements prometheus.Collector.
func (d *DiskFree) Collect(ch chan<- prometheus.Metric) {
	d.mu.Lock()
	paths := make([]string, 0, len(d.fns))
	fns := make([]func() (float64, error), 0, len(d.fns))
	for p, fn := range d.fns {
		paths = append(paths, p)
		fns = append(fns, fn)
	}
	d.mu.Unlock()
	// Call outside the lock: statfs on a hung NFS mount must not block Set.
	for i, fn := range fns {
		v, err := fn()
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(d.desc, prometheus.GaugeValue, v, paths[i])
	}
}
