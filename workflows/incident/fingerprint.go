package incident

import (
	"go.temporal.io/sdk/workflow"

	"xsoc/integrations"
	"xsoc/workflows/api"
)

// memoFingerprintChange guards the memo upsert below: incidents that took a later
// version of their alert before it replay without the command.
const memoFingerprintChange = "incident-memo-fingerprint"

// memoFingerprintKept: a running incident that takes a later version of its alert
// upserts the memo's fingerprint.
const memoFingerprintKept workflow.Version = 1

// fingerprint is the fingerprint of the last version of the alert this incident took:
// the memo's since intake started it, or since the incident last upserted it.
func (inc *incident) fingerprint() string {
	if inc.status.Fingerprint != "" {
		return inc.status.Fingerprint
	}
	return api.Fingerprint(inc.in.Alert)
}

// tookVersion keeps the memo's fingerprint on the last version of the alert the
// running incident took (a vendor update with other hosts, a raised Severity, a later
// observation), because intake compares a delivery after close with the memo: against
// the first version, a re-sent later version would start a spurious re-opening. The
// memo is encoded by the worker's data converter, the client's own (config.WithCodec),
// which intake decodes it with.
func (inc *incident) tookVersion(ctx workflow.Context, alert integrations.Alert) {
	fingerprint := api.Fingerprint(alert)
	if fingerprint == inc.fingerprint() {
		return
	}
	if workflow.GetVersion(ctx, memoFingerprintChange, workflow.DefaultVersion, memoFingerprintKept) < memoFingerprintKept {
		return
	}
	if err := workflow.UpsertMemo(ctx, map[string]any{api.MemoFingerprint: fingerprint}); err != nil {
		inc.note(ctx, "memo_failed", "keeping the alert's latest version in the memo failed: %v; a re-delivery of it after close will open a new run", err)
		return
	}
	inc.status.Fingerprint = fingerprint
}
