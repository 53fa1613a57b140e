package testworld

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"xsoc/integrations"
)

// FakePlatform is a vendor that remembers what is isolated and blocked, so that a
// second isolate of the same host is answered as already in place.
type FakePlatform struct {
	Mu       sync.Mutex
	CallLog  []string
	Isolated map[string]bool
	Blocked  map[string]bool
	Failures map[string]error
	// delays hold a call (by its first word and target, e.g. "isolate pc-1") for a
	// while of real time, so that something can arrive while it runs.
	Delays      map[string]time.Duration
	Findings    integrations.Findings
	Conclusions []integrations.Conclusion
	// unblockedBy lists the vendors asked to unblock, in order.
	UnblockedBy []string
	// writingBack counts the write-backs in flight; mostWritingBack the most at once.
	WritingBack, MostWritingBack int
	WriteBackDelay               time.Duration
}

// NewFakePlatform is a platform that knows every host and isolates nothing yet.
func NewFakePlatform() *FakePlatform {
	return &FakePlatform{Isolated: map[string]bool{}, Blocked: map[string]bool{}, Failures: map[string]error{}, Delays: map[string]time.Duration{},
		Findings: integrations.Findings{Summary: "mimikatz run by ACME\\taro on osk-pc-17"}}
}

// Record notes a call, waits its delay, and answers the failure set for its kind.
func (p *FakePlatform) Record(call string) error {
	p.Mu.Lock()
	p.CallLog = append(p.CallLog, call)
	delay := p.Delays[call]
	err := p.Failures[strings.Fields(call)[0]]
	p.Mu.Unlock()
	time.Sleep(delay)
	return err
}

// Calls lists the calls made, in order.
func (p *FakePlatform) Calls() []string {
	p.Mu.Lock()
	defer p.Mu.Unlock()
	return slices.Clone(p.CallLog)
}

func (p *FakePlatform) Isolate(_ context.Context, h integrations.Host) (integrations.ActionResult, error) {
	if err := p.Record("isolate " + h.Label()); err != nil {
		return integrations.ActionResult{}, err
	}
	p.Mu.Lock()
	defer p.Mu.Unlock()
	already := p.Isolated[h.Label()]
	p.Isolated[h.Label()] = true
	return integrations.ActionResult{Action: "isolate", Targets: []string{h.Label()}, AlreadyInPlace: already}, nil
}

func (p *FakePlatform) Release(_ context.Context, h integrations.Host) (integrations.ActionResult, error) {
	if err := p.Record("release " + h.Label()); err != nil {
		return integrations.ActionResult{}, err
	}
	p.Mu.Lock()
	defer p.Mu.Unlock()
	delete(p.Isolated, h.Label())
	return integrations.ActionResult{Action: "release", Targets: []string{h.Label()}}, nil
}

func (p *FakePlatform) Block(_ context.Context, inds []integrations.Indicator) (integrations.ActionResult, error) {
	var values []string
	for _, ind := range inds {
		values = append(values, ind.Value)
	}
	if err := p.Record("block " + strings.Join(values, ",")); err != nil {
		return integrations.ActionResult{}, err
	}
	return integrations.ActionResult{Action: "block", Targets: values}, nil
}

func (p *FakePlatform) Unblock(_ context.Context, inds []integrations.Indicator) (integrations.ActionResult, error) {
	var values []string
	for _, ind := range inds {
		values = append(values, ind.Value)
	}
	if err := p.Record("unblock " + strings.Join(values, ",")); err != nil {
		return integrations.ActionResult{}, err
	}
	return integrations.ActionResult{Action: "unblock", Targets: values}, nil
}

func (p *FakePlatform) Investigate(_ context.Context, a integrations.Alert) (integrations.Findings, error) {
	if err := p.Record("investigate " + a.ID); err != nil {
		return integrations.Findings{}, err
	}
	return p.Findings, nil
}

func (p *FakePlatform) WriteBack(_ context.Context, c integrations.Conclusion) error {
	p.Mu.Lock()
	p.Conclusions = append(p.Conclusions, c)
	p.WritingBack++
	p.MostWritingBack = max(p.MostWritingBack, p.WritingBack)
	p.Mu.Unlock()
	defer func() {
		p.Mu.Lock()
		p.WritingBack--
		p.Mu.Unlock()
	}()
	time.Sleep(p.WriteBackDelay)
	return p.Record("writeback " + c.AlertID + " " + c.Verdict)
}

// VendorPlatform is the fake platform as one vendor's: it records which vendor was
// asked to unblock.
type VendorPlatform struct {
	*FakePlatform
	vendor string
}

func (v VendorPlatform) Unblock(ctx context.Context, inds []integrations.Indicator) (integrations.ActionResult, error) {
	v.Mu.Lock()
	v.UnblockedBy = append(v.UnblockedBy, v.vendor)
	v.Mu.Unlock()
	return v.FakePlatform.Unblock(ctx, inds)
}

// The fake platform knows every host but those named unknown-*, and looks indicators up.
func (p *FakePlatform) FindHost(_ context.Context, h integrations.Host) (integrations.HostFacts, error) {
	if err := p.Record("find " + h.Label()); err != nil {
		return integrations.HostFacts{}, err
	}
	if strings.HasPrefix(h.Name, "unknown-") {
		return integrations.HostFacts{}, &integrations.VendorError{Vendor: "cybereason", Operation: "query sensors",
			StatusCode: http.StatusNotFound, Message: fmt.Sprintf("no sensor for host %q", h.Name)}
	}
	p.Mu.Lock()
	defer p.Mu.Unlock()
	return integrations.HostFacts{Host: integrations.Host{Name: h.Name, ID: "pylum-" + h.Name}, Isolated: p.Isolated[h.Label()],
		Summary: "sensor pylum-" + h.Name + " of " + h.Name + ": online"}, nil
}

func (p *FakePlatform) LookUpIndicators(_ context.Context, inds []integrations.Indicator) (integrations.Findings, error) {
	if err := p.Record("lookup " + inds[0].Value); err != nil {
		return integrations.Findings{}, err
	}
	return integrations.Findings{Summary: inds[0].Value + " is categorized as malware"}, nil
}
