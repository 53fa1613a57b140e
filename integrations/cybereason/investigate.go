package cybereason

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"xsoc/integrations"
)

const (
	// maxEnrichedHosts bounds the sensor look-ups of one investigation: a MalOp spread
	// over hundreds of machines is summarized by count past this many.
	maxEnrichedHosts = 20
	maxProcesses     = 50
)

// queryPathItem is one step of a visualsearch / crimes query path.
type queryPathItem struct {
	RequestedType     string            `json:"requestedType"`
	GUIDList          []string          `json:"guidList,omitempty"`
	Filters           []any             `json:"filters"`
	ConnectionFeature map[string]string `json:"connectionFeature,omitempty"`
	Result            bool              `json:"result,omitempty"`
	IsResult          bool              `json:"isResult,omitempty"`
}

type visualQuery struct {
	QueryPath        []queryPathItem `json:"queryPath"`
	TotalResultLimit int             `json:"totalResultLimit"`
	PerGroupLimit    int             `json:"perGroupLimit"`
	PerFeatureLimit  int             `json:"perFeatureLimit"`
	TemplateContext  string          `json:"templateContext"`
	QueryTimeout     *int            `json:"queryTimeout"`
	CustomFields     []string        `json:"customFields,omitempty"`
}

type elementsAnswer struct {
	Status  text `json:"status"`
	Message text `json:"message"`
	Data    struct {
		ResultIDToElementDataMap map[string]json.RawMessage `json:"resultIdToElementDataMap"`
	} `json:"data"`
}

// Investigate gathers what the console knows about the alert's MalOp: its machines
// (with the sensor's address and isolation state), users, suspicious processes and
// hashes. EDR MalOps are read through /rest/crimes/unified; endpoint-protection
// MalOps, which that API does not hold, through /rest/mmng/v2/malops.
func (c *Client) Investigate(ctx context.Context, alert integrations.Alert) (integrations.Findings, error) {
	guid := strings.TrimSpace(alert.ID)
	if guid == "" {
		return integrations.Findings{}, errors.New("cybereason: investigate: the alert has no MalOp guid (id)")
	}
	view, edr, err := c.malopDetails(ctx, guid)
	if err != nil {
		return integrations.Findings{}, err
	}
	f := integrations.Findings{
		Hosts:      view.hosts,
		Users:      view.users,
		Indicators: view.indicators,
		Details:    view.details,
	}
	suspects := 0
	if edr {
		processes, indicators, err := c.malopProcesses(ctx, guid)
		if err != nil {
			return integrations.Findings{}, err
		}
		suspects = len(processes)
		if len(processes) > maxProcesses {
			f.Details = append(f.Details, fmt.Sprintf("processes: %d suspicious, first %d listed", len(processes), maxProcesses))
			processes = processes[:maxProcesses]
		}
		f.Processes = processes
		for _, ind := range indicators {
			f.Indicators = appendIndicator(f.Indicators, ind)
		}
	}
	hostFacts, err := c.enrichHosts(ctx, f.Hosts)
	if err != nil {
		return integrations.Findings{}, err
	}
	f.Details = append(f.Details, hostFacts...)
	if view.unnamed > 0 {
		f.Details = append(f.Details, fmt.Sprintf("%d further machine(s) without a name", view.unnamed))
	}
	if detection := strings.TrimSpace(alert.Detection); detection != "" {
		// The alert's name came from the inbox or mmng with Cybereason's words for the
		// detection; crimes/unified only has its code.
		view.detection = detection
	}
	f.Summary = summarize(view, suspects, len(f.Indicators))
	return f, nil
}

// malopDetails reads the MalOp, trying the two kinds of EDR MalOps Cybereason keeps
// apart (process and logon-session MalOps), then the MalOp management API.
func (c *Client) malopDetails(ctx context.Context, guid string) (view malopView, edr bool, err error) {
	for _, kind := range []string{"MalopProcess", "MalopLogonSession"} {
		query := visualQuery{
			QueryPath:        []queryPathItem{{RequestedType: kind, GUIDList: []string{guid}, Filters: []any{}, Result: true}},
			TotalResultLimit: 10000, PerGroupLimit: 10000, PerFeatureLimit: 100,
			TemplateContext: "MALOP",
		}
		var answer elementsAnswer
		err := c.postJSON(ctx, "malop details", "/rest/crimes/unified", query, &answer)
		var vendorErr *integrations.VendorError
		if errors.As(err, &vendorErr) && (vendorErr.StatusCode == http.StatusNotFound || vendorErr.StatusCode == http.StatusMethodNotAllowed) {
			break // a console without the crimes API: the management API below still knows the MalOp
		}
		if err != nil {
			return malopView{}, false, err
		}
		if err := checkStatus("malop details", answer.Status, answer.Message, true); err != nil {
			return malopView{}, false, err
		}
		if raw, key, ok := pick(answer.Data.ResultIDToElementDataMap, guid); ok {
			view, err := elementView("crimes/unified "+kind, key, raw)
			if err != nil {
				return malopView{}, false, &integrations.VendorError{Vendor: Vendor, Operation: "malop details", StatusCode: http.StatusOK, Message: err.Error()}
			}
			return view, true, nil
		}
	}
	query := mmngQuery{
		Search:     map[string]any{"malop": map[string]string{"guid": guid}},
		Range:      &mmngRange{From: 0, To: maxMillis},
		Pagination: mmngPagination{PageSize: 1, Offset: 0},
		Federation: map[string]any{"groups": []string{}},
	}
	var answer mmngAnswer
	if err := c.postJSON(ctx, "malop details", "/rest/mmng/v2/malops", query, &answer); err != nil {
		return malopView{}, false, err
	}
	if err := checkStatus("malop details", answer.Status, answer.Message, true); err != nil {
		return malopView{}, false, err
	}
	for _, raw := range answer.Data.Data {
		var head malopHead
		if json.Unmarshal(raw, &head) == nil && head.GUID.present() == guid {
			view, err := modelView("mmng/v2 malop", raw)
			if err != nil {
				return malopView{}, false, &integrations.VendorError{Vendor: Vendor, Operation: "malop details", StatusCode: http.StatusOK, Message: err.Error()}
			}
			return view, false, nil
		}
	}
	return malopView{}, false, &integrations.VendorError{Vendor: Vendor, Operation: "malop details", StatusCode: http.StatusNotFound,
		Message: fmt.Sprintf("MalOp %s is unknown to the console (crimes/unified and mmng/v2)", guid)}
}

// pick finds the MalOp element of guid in a result map: by key, by guidString, or the
// only element there is.
func pick(elements map[string]json.RawMessage, guid string) (json.RawMessage, string, bool) {
	if raw, ok := elements[guid]; ok {
		return raw, guid, true
	}
	for key, raw := range elements {
		var e struct {
			GUIDString text `json:"guidString"`
		}
		if json.Unmarshal(raw, &e) == nil && e.GUIDString.present() == guid {
			return raw, key, true
		}
	}
	if len(elements) == 1 {
		for key, raw := range elements {
			return raw, key, true
		}
	}
	return nil, "", false
}

// malopProcesses lists the MalOp's suspect processes, one line each, and the hashes of
// their image files.
func (c *Client) malopProcesses(ctx context.Context, guid string) ([]string, []integrations.Indicator, error) {
	const op = "malop processes"
	query := visualQuery{
		QueryPath: []queryPathItem{
			{RequestedType: "MalopProcess", GUIDList: []string{guid}, Filters: []any{},
				ConnectionFeature: map[string]string{"elementInstanceType": "MalopProcess", "featureName": "suspects"}},
			{RequestedType: "Process", Filters: []any{}, IsResult: true},
		},
		TotalResultLimit: 1000, PerGroupLimit: 1200, PerFeatureLimit: 1200,
		TemplateContext: "MALOP",
		CustomFields: []string{"elementDisplayName", "pid", "commandLine", "creationTime", "ownerMachine", "calculatedUser",
			"imageFile", "imageFile.sha1String", "imageFile.md5String", "imageFile.maliciousClassificationType"},
	}
	var answer elementsAnswer
	if err := c.postJSON(ctx, op, "/rest/visualsearch/query/simple", query, &answer); err != nil {
		return nil, nil, err
	}
	if err := checkStatus(op, answer.Status, answer.Message, true); err != nil {
		return nil, nil, err
	}
	keys := make([]string, 0, len(answer.Data.ResultIDToElementDataMap))
	for key := range answer.Data.ResultIDToElementDataMap {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	var lines []string
	var indicators []integrations.Indicator
	for _, key := range keys {
		e, err := decodeElement("process "+key, answer.Data.ResultIDToElementDataMap[key])
		if err != nil {
			return nil, nil, &integrations.VendorError{Vendor: Vendor, Operation: op, StatusCode: http.StatusOK, Message: err.Error()}
		}
		lines = append(lines, processLine(e))
		indicators = hashIndicators(indicators, e.values("imageFile.sha1String")...)
		indicators = hashIndicators(indicators, e.values("imageFile.md5String")...)
	}
	// Element keys are opaque ids; by name the list reads in a stable order.
	sort.Strings(lines)
	return lines, indicators, nil
}

// processLine reads like "bdata.bin (pid 5180) on desktop as ACME\taro, sha1 f562…,
// av_detected: cmd.exe /c …".
func processLine(e element) string {
	name := firstOf(text(e.first("elementDisplayName")), e.FilterData.GroupByValue)
	if name == "" {
		for _, ref := range e.refs("self") {
			name = firstOf(text(name), ref.Name)
		}
	}
	if name == "" {
		name = "unnamed process"
	}
	var b strings.Builder
	b.WriteString(name)
	if pid := e.first("pid"); pid != "" {
		fmt.Fprintf(&b, " (pid %s)", pid)
	}
	if refs := e.refs("ownerMachine"); len(refs) > 0 && refs[0].Name.present() != "" {
		fmt.Fprintf(&b, " on %s", refs[0].Name.present())
	}
	if refs := e.refs("calculatedUser"); len(refs) > 0 && refs[0].Name.present() != "" {
		fmt.Fprintf(&b, " as %s", refs[0].Name.present())
	}
	if sha1 := e.first("imageFile.sha1String"); sha1 != "" {
		fmt.Fprintf(&b, ", sha1 %s", sha1)
	}
	if class := e.first("imageFile.maliciousClassificationType"); class != "" {
		fmt.Fprintf(&b, ", %s", class)
	}
	if cmd := e.first("commandLine"); cmd != "" {
		fmt.Fprintf(&b, ": %s", integrations.Truncate(cmd, 300))
	}
	return b.String()
}

// enrichHosts adds what the sensors say about the MalOp's machines: the pylumId that
// containment needs, the address, and whether the machine is isolated right now.
func (c *Client) enrichHosts(ctx context.Context, hosts []integrations.Host) ([]string, error) {
	var facts []string
	for i := range hosts {
		if i == maxEnrichedHosts {
			facts = append(facts, fmt.Sprintf("sensors: %d further machines not looked up", len(hosts)-maxEnrichedHosts))
			break
		}
		s, err := c.findSensor(ctx, hosts[i])
		var vendorErr *integrations.VendorError
		if errors.As(err, &vendorErr) && vendorErr.StatusCode == http.StatusNotFound {
			facts = append(facts, fmt.Sprintf("%s: no sensor found", hosts[i].Label()))
			continue
		}
		if err != nil {
			return nil, err
		}
		hosts[i].ID = s.PylumID.String()
		if hosts[i].IP == "" {
			hosts[i].IP = s.InternalIP.present()
		}
		state := "not isolated"
		if s.Isolated {
			state = "isolated"
		}
		facts = append(facts, fmt.Sprintf("%s: sensor %s, %s, %s", hosts[i].Label(),
			strings.Join(nonEmpty(s.Status.present(), s.OSVersion.present()), ", "), state, "ip "+orDash(s.InternalIP.present())))
	}
	return facts, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// summarize says in two sentences what the MalOp is and how far it reaches.
func summarize(v malopView, suspects, indicators int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Cybereason MalOp %s (%s) involves %s", v.guid, orDash(v.detection), count(len(v.hosts)+v.unnamed, "machine"))
	if len(v.hosts) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(firstLabels(v.hosts, 5), ", "))
	}
	fmt.Fprintf(&b, " and %s", count(len(v.users), "user"))
	if v.status != "" {
		fmt.Fprintf(&b, "; the console marks it %s", v.status)
	}
	b.WriteString(".")
	if suspects > 0 || indicators > 0 {
		fmt.Fprintf(&b, " It shows %s and %s.", count(suspects, "suspicious process"), count(indicators, "file hash"))
	}
	return b.String()
}

func firstLabels(hosts []integrations.Host, n int) []string {
	var labels []string
	for i, h := range hosts {
		if i == n {
			labels = append(labels, fmt.Sprintf("%d more", len(hosts)-n))
			break
		}
		labels = append(labels, h.Label())
	}
	return labels
}

func count(n int, noun string) string {
	switch n {
	case 0:
		return "no " + noun + "s"
	case 1:
		return "1 " + noun
	}
	for _, sibilant := range []string{"s", "sh", "ch", "x"} {
		if strings.HasSuffix(noun, sibilant) {
			return fmt.Sprintf("%d %ses", n, noun)
		}
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// malopStatusFor maps xsoc's verdict to the MalOp management status of
// /rest/crimes/status: a real incident is "CLOSED" (shown as Remediated), a false or
// benign one "FP" (shown as Not Relevant).
func malopStatusFor(verdict string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(verdict)) {
	case "true_positive", "":
		return "CLOSED", nil
	case "false_positive", "benign_true_positive":
		return "FP", nil
	}
	return "", fmt.Errorf("cybereason: write back: verdict %q is not one of true_positive, false_positive, benign_true_positive", verdict)
}

// commentFor is the comment xsoc leaves on the MalOp. It is the same text for the same
// conclusion, which is how a retried write-back recognizes its own comment.
func commentFor(c integrations.Conclusion) string {
	verdict := strings.TrimSpace(c.Verdict)
	if verdict == "" {
		verdict = "closed without verdict"
	}
	msg := "xsoc verdict: " + verdict
	if by := strings.TrimSpace(c.By); by != "" {
		msg += " (by " + by + ")"
	}
	if note := strings.TrimSpace(c.Note); note != "" {
		msg += ": " + note
	}
	return msg
}

type malopComment struct {
	Message text `json:"message"`
}

// WriteBack leaves xsoc's verdict on the MalOp as a comment and sets its status.
// Both are safe to repeat: the comment is not added twice, and setting a status the
// MalOp already has changes nothing.
func (c *Client) WriteBack(ctx context.Context, conclusion integrations.Conclusion) error {
	guid := strings.TrimSpace(conclusion.AlertID)
	if guid == "" {
		return errors.New("cybereason: write back: the conclusion has no MalOp guid (alert_id)")
	}
	status, err := malopStatusFor(conclusion.Verdict)
	if err != nil {
		return err
	}
	comment := commentFor(conclusion)

	var comments []malopComment
	if err := c.call(ctx, "get comments", http.MethodPost, "/rest/crimes/get-comments", "text/plain", []byte(guid), &comments); err != nil {
		return err
	}
	present := false
	for _, existing := range comments {
		// The console stores comments HTML-escaped.
		if strings.TrimSpace(html.UnescapeString(string(existing.Message))) == comment {
			present = true
			break
		}
	}
	if !present {
		path := "/rest/crimes/comment/" + url.PathEscape(guid)
		if err := c.call(ctx, "add comment", http.MethodPost, path, "text/plain; charset=utf-8", []byte(comment), nil); err != nil {
			return err
		}
	}

	var answer struct {
		Status  text `json:"status"`
		Message text `json:"message"`
	}
	if err := c.postJSON(ctx, "set malop status", "/rest/crimes/status", map[string]string{guid: status}, &answer); err != nil {
		return err
	}
	return checkStatus("set malop status", answer.Status, answer.Message, false)
}
