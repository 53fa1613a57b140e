package start

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"xsoc/workflows/api"
)

// admissionBatches gathers the admissions that one worker's incidents ask of the same
// customer's Triage at the same moment into one Update (api.UpdateAdmitBatch).
//
// Why: every Update to a workflow is a round of its own on the server (accepted and
// completed events, a workflow task), and one customer's Triage has one history, so in
// a worm the alerts queued one Update behind another at a few a second. The batches
// grow with the load (see batches).
//
// Nothing is decided here: Triage decides each admission of a batch in order, as if
// it had been asked alone, and remembers its answer by incident run, so an incident
// that asks again (its local activity retried, in another batch or alone) is answered
// the same. A batch's Update id is a digest of its admissions' own Update ids: a
// retried batch is the same Update, a different one never is.
type admissionBatches struct {
	temporal client.Client
	logger   *slog.Logger
	// timeout bounds one batch's Update: an incident that gave up waiting (its local
	// activity timed out) asks again in a later batch.
	timeout time.Duration
	queue   *batches[*askedAdmission]
	// mu guards the admissions' gone.
	mu sync.Mutex
}

type askedAdmission struct {
	admission api.Admission
	answered  chan admissionResult
	// gone: the caller stopped waiting (guarded by mu).
	gone bool
	// attempts counts the batches that failed to ask it after its caller left.
	attempts int
}

type admissionResult struct {
	answer api.TriageAnswer
	err    error
}

func newAdmissionBatches(c client.Client, logger *slog.Logger) *admissionBatches {
	b := &admissionBatches{temporal: c, logger: logger, timeout: time.Minute}
	b.queue = newBatches(batchesInFlight, api.MaxAdmissionBatch, b.sendBatch)
	return b
}

// ask sends the admission with the others of its customer asked at the same moment,
// and answers Triage's answer to it. An admission that takes a late answer
// (AnswerLate) is answered TriagePending shortly before ctx's deadline when triage has
// not answered by then; its answer goes to the incident by Signal (answerLate), so the
// incident waits for it holding no workflow task.
func (b *admissionBatches) ask(ctx context.Context, in api.Admission) (api.TriageAnswer, error) {
	asked := &askedAdmission{admission: in, answered: make(chan admissionResult, 1)}
	b.queue.add(in.Customer, asked)
	wait := ctx
	if deadline, ok := ctx.Deadline(); ok && in.AnswerLate {
		var cancel context.CancelFunc
		wait, cancel = context.WithDeadline(ctx, deadline.Add(-pendingMargin))
		defer cancel()
	}
	select {
	case result := <-asked.answered:
		return result.answer, result.err
	case <-wait.Done():
		b.mu.Lock()
		defer b.mu.Unlock()
		select {
		case result := <-asked.answered:
			return result.answer, result.err
		default:
		}
		// The batch goes on without this caller; Triage remembers the answer for the
		// incident's next ask.
		asked.gone = true
		if in.AnswerLate {
			return api.TriageAnswer{Decision: api.TriagePending, Why: "triage is busy: its answer comes by signal"}, nil
		}
		return api.TriageAnswer{}, ctx.Err()
	}
}

// pendingMargin: an admission that takes a late answer is answered TriagePending this
// long before its caller's deadline, so that the answer reaches the workflow.
const pendingMargin = time.Second

func (b *admissionBatches) sendBatch(customer string, batch []*askedAdmission) {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	admissions := make([]api.Admission, len(batch))
	for i, asked := range batch {
		admissions[i] = asked.admission
	}
	answers, err := b.update(ctx, customer, admissions)
	// A Triage continuing as new answers from its next run in a moment.
	for wait := continuingWait; errors.Is(err, errTriageContinuing) && pause(ctx, wait); wait = min(2*wait, time.Second) {
		answers, err = b.update(ctx, customer, admissions)
	}
	if errors.Is(err, errNoBatchHandler) {
		// A Triage of an older build answers admissions one at a time.
		b.askOneByOne(ctx, batch)
		return
	}
	for i, asked := range batch {
		result := admissionResult{err: err}
		if err == nil {
			result.answer = answers[i]
		}
		b.deliver(asked, result)
	}
}

// deliver hands an answer to its caller. When the caller stopped waiting, an
// incident that takes a late answer has it by Signal, and its question is asked
// again when the batch failed short of a refusal (Triage continuing as new, the
// server busy); any other incident asks again itself.
func (b *admissionBatches) deliver(asked *askedAdmission, result admissionResult) {
	b.mu.Lock()
	gone := asked.gone
	if !gone {
		asked.answered <- result
	}
	b.mu.Unlock()
	if !gone || !asked.admission.AnswerLate {
		return
	}
	switch {
	case result.err == nil:
		go b.answerLate(asked.admission, result.answer)
	case TriageRefused(result.err):
		// Triage is not running or refused: the incident learns it when it asks again.
		b.log().Warn("triage refused an admission nobody waits for", "incident", asked.admission.Incident, "error", result.err)
	case asked.attempts < lateAskAttempts:
		asked.attempts++
		b.queue.add(asked.admission.Customer, asked)
	default:
		b.log().Warn("triage did not answer an admission nobody waits for", "incident", asked.admission.Incident,
			"attempts", asked.attempts+1, "error", result.err)
	}
}

// TriageRefused tells a triage that answered no (it is not running, or refused the
// admission: entityError's and AdmitToTriage's refusals) from one that did not answer
// in time, which is asked again.
func TriageRefused(err error) bool {
	var refusal *temporal.ApplicationError
	return errors.As(err, &refusal) && refusal.NonRetryable() && strings.HasPrefix(refusal.Type(), "Triage")
}

// lateAskAttempts bounds how often a question nobody waits for is asked again after
// its batch failed; the incident asks again itself later.
const lateAskAttempts = 5

// answerLate signals triage's answer to the incident's run that asked, naming the
// question; it tries a few times, and an incident that misses it asks again.
func (b *admissionBatches) answerLate(a api.Admission, answer api.TriageAnswer) {
	answer.Asked = AdmitUpdateID(a)
	var err error
	for attempt := range lateAnswerAttempts {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = b.temporal.SignalWorkflow(ctx, a.Incident, a.Run, api.SignalTriaged, answer)
		cancel()
		var notFound *serviceerror.NotFound
		if err == nil || errors.As(err, &notFound) {
			// Delivered, or the run is over: nobody waits for it any more.
			return
		}
		time.Sleep(time.Duration(attempt+1) * time.Second)
	}
	b.log().Warn("could not signal triage's late answer: the incident asks again", "incident", a.Incident, "error", err)
}

func (b *admissionBatches) log() *slog.Logger {
	if b.logger == nil {
		return slog.Default()
	}
	return b.logger
}

// lateAnswerAttempts bounds answerLate's tries.
const lateAnswerAttempts = 5

// batchesInFlight: see batches.
const batchesInFlight = 2

var errNoBatchHandler = errors.New("the triage has no admit_batch handler")

// errTriageContinuing: the Triage run asked is ending, or took the most Updates the
// server lets one run take (history.maxTotalUpdates): its next run answers.
var errTriageContinuing = errors.New("the triage is continuing as new")

// continuingWait is the first wait before a batch is asked again of a Triage that is
// continuing as new; it doubles up to a second.
const continuingWait = 100 * time.Millisecond

// pause waits d, and answers false when ctx ended first.
func pause(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// triageContinuing tells an Update refused because the Triage run is ending (its
// validator's ErrorTriageContinuing) or had its fill of Updates (the server's
// FailedPrecondition, before a Triage of round 3's fourth version continues as new).
func triageContinuing(err error) bool {
	var refusal *temporal.ApplicationError
	if errors.As(err, &refusal) && refusal.Type() == api.ErrorTriageContinuing {
		return true
	}
	return updateLimitReached(err)
}

// updateLimitReached tells the server's refusal of an Update to a run that took the
// most Updates one run may take (history.maxTotalUpdates).
func updateLimitReached(err error) bool {
	var precondition *serviceerror.FailedPrecondition
	return errors.As(err, &precondition) && strings.Contains(precondition.Message, "limit on the total number of distinct updates")
}

func (b *admissionBatches) update(ctx context.Context, customer string, admissions []api.Admission) ([]api.TriageAnswer, error) {
	var answers []api.TriageAnswer
	handle, err := b.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   api.TriageWorkflowID(customer),
		UpdateName:   api.UpdateAdmitBatch,
		UpdateID:     admissionBatchID(admissions),
		Args:         []any{api.AdmissionBatch{Admissions: admissions}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, &answers)
	}
	if err != nil && strings.Contains(err.Error(), "unknown update "+api.UpdateAdmitBatch) {
		return nil, errNoBatchHandler
	}
	if triageContinuing(err) {
		return nil, fmt.Errorf("%w: %v", errTriageContinuing, err)
	}
	if err == nil && len(answers) != len(admissions) {
		err = errors.New("the triage of customer " + customer + " answered a batch of admissions with a different number of answers")
	}
	return answers, entityError("the triage of customer "+customer, "Triage", err)
}

func (b *admissionBatches) askOneByOne(ctx context.Context, batch []*askedAdmission) {
	var wg sync.WaitGroup
	for _, asked := range batch {
		wg.Go(func() {
			answer, err := admitOne(ctx, b.temporal, asked.admission)
			b.deliver(asked, admissionResult{answer: answer, err: err})
		})
	}
	wg.Wait()
}

// admissionBatchID is a batch's Update id: the digest of its admissions' own ids, in
// order, so that only the same batch is the same Update.
func admissionBatchID(admissions []api.Admission) string {
	digest := sha256.New()
	for _, a := range admissions {
		digest.Write([]byte(AdmitUpdateID(a)))
		digest.Write([]byte{0})
	}
	return "admit-batch/" + admissions[0].Customer + "/" + hex.EncodeToString(digest.Sum(nil))[:32]
}
