// Package browser drives the running system through a real browser, as its people do:
// a manager reads the SLA dashboard, an analyst decides an incident in the bundled
// Temporal UI. Debian's chromium runs headless under chromedp; the stack is this
// package's own (with the Temporal UI, and customers whose clocks run out in seconds).
package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"xsoc/internal/devstack"
	"xsoc/internal/e2e"
	"xsoc/workflows/api"
	"xsoc/workflows/start"
)

var (
	xsoc *devstack.Stack
	// browser is one headless chromium for the package; each test opens its own
	// browser context (own cookies) in it.
	browser context.Context
)

const (
	webhookSecret  = "browser-webhook-secret"
	dashboardToken = "browser-dashboard-token-0123456789"
)

func TestMain(m *testing.M) {
	chromium, err := chromiumPath()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The UI reaches the codec server through an SSO proxy that names the analyst
	// (hanako), as in production: what she sends from the UI is stamped hanako (sso).
	e2e.Run(&xsoc, devstack.Options{UI: true, CodecSSOUser: "hanako", Customers: customers, Env: []string{
		"ACME_WEBHOOK_SECRET=" + webhookSecret, "GLOBEX_WEBHOOK_SECRET=" + webhookSecret, "UMBRELLA_WEBHOOK_SECRET=" + webhookSecret,
		"XSOC_DASHBOARD_TOKEN=" + dashboardToken,
	}}, func() int {
		options := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.WindowSize(1400, 1000), chromedp.Flag("lang", "en-US"))
		allocator, cancelAllocator := chromedp.NewExecAllocator(context.Background(), options...)
		defer cancelAllocator()
		var cancelBrowser context.CancelFunc
		browser, cancelBrowser = chromedp.NewContext(allocator)
		defer cancelBrowser()
		if err := chromedp.Do(browser); err != nil {
			fmt.Fprintln(os.Stderr, "starting chromium:", err)
			return 1
		}
		return m.Run()
	})
}

// chromiumPath finds Debian's chromium (XSOC_CHROMIUM names another).
func chromiumPath() (string, error) {
	if path := os.Getenv("XSOC_CHROMIUM"); path != "" {
		return path, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("the browser tests need Debian's chromium: run  sudo apt-get install -y chromium  (or set XSOC_CHROMIUM)")
}

// page opens a tab in a browser context of its own (no cookies of other tests) and
// saves a screenshot of it under the test's temp dir when the test ends, printing the
// path when the test failed.
func page(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	// The first run opens the tab, which lives as long as the context of that run.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("opening a tab: %v", err)
	}
	shot := filepath.Join(t.TempDir(), "screenshot.png")
	t.Cleanup(func() {
		defer cancel()
		shotCtx, cancelShot := context.WithTimeout(ctx, 15*time.Second)
		defer cancelShot()
		png, err := chromedp.Run(shotCtx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(shot, png, 0o600)
		}
		if t.Failed() && err == nil {
			// The temp dir goes with the test: a copy that outlives it is what a
			// person opens after a failed run.
			kept := filepath.Join(os.TempDir(), "xsoc-browser-screenshots", strings.ReplaceAll(t.Name(), "/", "_")+".png")
			if mkErr := os.MkdirAll(filepath.Dir(kept), 0o755); mkErr == nil {
				err = os.WriteFile(kept, png, 0o644)
			}
			url, _ := chromedp.Run(shotCtx, chromedp.Location())
			t.Logf("screenshot of %s: %s (kept as %s: %v)", url, shot, kept, err)
		} else if t.Failed() {
			t.Logf("no screenshot: %v", err)
		}
		if os.Getenv("XSOC_SCREENSHOTS") != "" && err == nil {
			_ = os.WriteFile(filepath.Join(os.Getenv("XSOC_SCREENSHOTS"), t.Name()+".png"), png, 0o644)
		}
	})
	return ctx
}

// stepTimeout bounds one browser step: a page that never shows what a step waits for
// fails the test with that step's name instead of holding it.
const stepTimeout = 30 * time.Second

// do runs browser steps and fails the test, saying what it was doing, on error.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// read runs a browser action that answers a value, failing the test on error.
func read[T any](t *testing.T, ctx context.Context, what string, action chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

var customersTemplate = template.Must(template.New("").Parse(`customers:
  - id: acme
    name: ACME Manufacturing
    language: en
    timezone: Asia/Tokyo
    services: [detect, respond]
    webhook_secret_env: ACME_WEBHOOK_SECRET
    billing: {plan: per_response, ids: 100, tickets: [{count: 20, purchased: {{.purchased}}}]}
    response: {policy: investigate_first}
    sla:
      high: {ack: 1h, verdict: 2h, contain: 4h}
      low:  {ack: 2s}
    escalation:
      high: [{after: 0s, email: it@acme.example}]
      low:  [{after: 0s, email: low@acme.example}]
  - id: umbrella
    name: Umbrella Pharma
    language: en
    timezone: Asia/Tokyo
    services: [detect, respond]
    webhook_secret_env: UMBRELLA_WEBHOOK_SECRET
    response: {policy: investigate_first}
    sla:
      high: {ack: 1h, verdict: 2h, contain: 4h}
      low:  {ack: 2s}
    escalation:
      high: [{after: 0s, email: it@umbrella.example}]
      low:  [{after: 0s, email: low@umbrella.example}]
  - id: globex
    name: Globex Corporation
    language: en
    services: [detect]
    webhook_secret_env: GLOBEX_WEBHOOK_SECRET
    response: {policy: investigate_first}
    escalation:
      high: [{after: 0s, email: soc@globex.example}]
`))

// customers is the package's customers file. The tickets were bought this month, so
// that they are valid whenever the tests run.
func customers(urls map[string]string) ([]byte, error) {
	var out bytes.Buffer
	values := map[string]string{"purchased": time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)}
	for k, v := range urls {
		values[k] = v
	}
	err := customersTemplate.Execute(&out, values)
	return out.Bytes(), err
}

// postAlert posts a normalized alert detected a minute ago and answers its incident.
func postAlert(t *testing.T, customer, id, severity, host string) string {
	t.Helper()
	body := fmt.Sprintf(`{"id": %q, "detection": "Credential dumping %s", "severity": %q, "observed_at": %q,
		"hosts": [{"name": %q}], "description": "browser test"}`, id, id, severity, time.Now().UTC().Add(-time.Minute).Format(time.RFC3339Nano), host)
	req, err := http.NewRequest(http.MethodPost, xsoc.StarterURL+"/v1/alerts/generic/"+customer, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+webhookSecret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var answer struct {
		Incidents []start.IncidentRef `json:"incidents"`
	}
	if resp.StatusCode != http.StatusAccepted || json.Unmarshal(data, &answer) != nil || len(answer.Incidents) != 1 {
		t.Fatalf("posting alert %s for %s: %d %s", id, customer, resp.StatusCode, data)
	}
	return answer.Incidents[0].WorkflowID
}

// status queries an incident's status through the Temporal client.
func status(t *testing.T, workflowID string) api.IncidentStatus {
	t.Helper()
	return e2e.IncidentStatus(t, xsoc.Temporal, workflowID)
}

// eventually retries check until it passes or the time runs out.
func eventually(t *testing.T, within time.Duration, what string, check func() error) {
	t.Helper()
	e2e.Eventually(t, within, what, check)
}

// clickVisible waits for a visible element that the CSS selector matches (whose text,
// trimmed, is text, when text is given) and clicks it. The Temporal UI renders some
// controls twice (one copy hidden for narrow screens): the visible one is the one a
// person clicks.
func clickVisible(css, text string) chromedp.Action[chromedp.Void] {
	return chromedp.PollFunction[chromedp.Void](`(css, text) => {
		const el = [...document.querySelectorAll(css)].find(e => e.getClientRects().length > 0 && (!text || e.textContent.trim() === text));
		if (!el) return false;
		el.click();
		return true;
	}`, chromedp.WithPollingArgs(css, text), chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout))
}

// waitText waits until an element that the CSS selector matches contains the text.
func waitText(css, text string) chromedp.Action[chromedp.Void] {
	return chromedp.PollFunction[chromedp.Void](`(css, text) => [...document.querySelectorAll(css)].some(e => e.textContent.includes(text))`,
		chromedp.WithPollingArgs(css, text), chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout))
}

// typeInto focuses the visible element the CSS selector matches and inserts the text
// as one input, as a paste does: a code editor (the UI's JSON fields) would otherwise
// close the brackets and quotes typed one key at a time a second time.
func typeInto(css, text string) chromedp.Action[chromedp.Void] {
	focus := chromedp.PollFunction[chromedp.Void](`(css) => {
		const el = [...document.querySelectorAll(css)].find(e => e.getClientRects().length > 0);
		if (!el) return false;
		el.focus();
		return true;
	}`, chromedp.WithPollingArgs(css), chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout))
	return chromedp.Steps(focus, chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, input.InsertText, input.InsertTextParams{Text: text})
		return err
	}))
}
