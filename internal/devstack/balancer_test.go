package devstack

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// The balancer takes turns between the starters, passes a starter that refuses the
// connection over for the next, answers 503 with Retry-After when none answers, and
// hands a starter's answer back as it is.
func TestBalancerTakesTurnsAndPassesOverAStarterThatIsDown(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	starter := func(name string) *httptest.Server {
		return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			seen = append(seen, name+" "+r.Method+" "+r.URL.RequestURI()+" "+string(body))
			mu.Unlock()
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusAccepted)
			_, _ = io.WriteString(w, name)
		}))
	}
	one, two := starter("one"), starter("two")
	defer one.Close()
	defer two.Close()
	down := FreeAddress() // nothing listens there

	b := httptest.NewServer(newBalancer([]string{one.URL, "http://" + down, two.URL}))
	defer b.Close()
	var answered []string
	for i := range 4 {
		resp, err := http.Post(b.URL+"/v1/alerts/generic/acme?x=1", "application/json", strings.NewReader("alert"+string(rune('0'+i))))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Retry-After") != "7" {
			t.Fatalf("answer %d %v", resp.StatusCode, resp.Header)
		}
		answered = append(answered, string(data))
	}
	// Turns go one, down, two, one, …, starting after the first: a turn that falls on
	// the starter that is down goes to the next.
	if got := strings.Join(answered, ","); got != "two,two,one,two" {
		t.Errorf("turns: %s, want two,two,one,two", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(strings.Join(seen, "|"), "two POST /v1/alerts/generic/acme?x=1 alert0") {
		t.Errorf("the starters saw %v", seen)
	}

	none := httptest.NewServer(newBalancer([]string{"http://" + down}))
	defer none.Close()
	resp, err := http.Get(none.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("no starter up: %d Retry-After=%q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}
