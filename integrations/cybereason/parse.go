package cybereason

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"xsoc/integrations"
)

// DefaultSeverity maps Cybereason's own severity or priority word to xsoc's scale:
//
//	Critical → critical, High → high, Medium → medium, Low → low,
//	Info / Informational → info.
//
// A MalOp is Cybereason's conclusion that an operation is malicious, not a mere
// suspicion, so a MalOp whose severity is missing or a word not listed above is treated
// as high: paged and clocked like one rather than left waiting. A customer who wants
// otherwise sets severity_map on the platform.
func DefaultSeverity(vendorSeverity string) integrations.Severity {
	switch strings.ToLower(strings.TrimSpace(vendorSeverity)) {
	case "critical":
		return integrations.SeverityCritical
	case "high":
		return integrations.SeverityHigh
	case "medium", "moderate":
		return integrations.SeverityMedium
	case "low":
		return integrations.SeverityLow
	case "info", "informational", "information":
		return integrations.SeverityInfo
	}
	return integrations.SeverityHigh
}

// ParseAlerts turns a native Cybereason body into normalized alerts, one per MalOp.
// It reads a /rest/detection/inbox answer ({"malops":[...]} or a bare array), a
// /rest/mmng/v2/malops answer ({"data":{"data":[...]}}), a /rest/crimes/unified
// (visualsearch) MalOp answer ({"data":{"resultIdToElementDataMap":{...}}}) or one
// MalOp object. severityMap is the customer's override (vendor word → xsoc severity,
// keys in any case). A body that holds a MalOp that cannot be read is refused as a
// whole, naming the MalOp and the field, so that nothing is half-taken.
func ParseAlerts(body []byte, severityMap map[string]string) ([]integrations.Alert, error) {
	overrides, err := normalizeSeverityMap(severityMap)
	if err != nil {
		return nil, err
	}
	items, err := splitMalops(body)
	if err != nil {
		return nil, err
	}
	alerts := make([]integrations.Alert, 0, len(items))
	var problems []error
	for _, item := range items {
		alert, err := item.alert(overrides)
		if err != nil {
			problems = append(problems, err)
			if len(problems) == 10 {
				problems = append(problems, errors.New("… further MalOps not checked"))
				break
			}
			continue
		}
		alerts = append(alerts, alert)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("cybereason: %w", errors.Join(problems...))
	}
	return alerts, nil
}

// rawMalop is one MalOp as it sits in the body, with where it sits (for messages) and
// which of Cybereason's two MalOp shapes it has.
type rawMalop struct {
	path    string
	key     string // the resultIdToElementDataMap key, for visualsearch elements
	raw     json.RawMessage
	element bool
}

func (m rawMalop) view() (malopView, error) {
	if m.element {
		return elementView(m.path, m.key, m.raw)
	}
	return modelView(m.path, m.raw)
}

func (m rawMalop) alert(overrides map[string]integrations.Severity) (integrations.Alert, error) {
	v, err := m.view()
	if err != nil {
		return integrations.Alert{}, err
	}
	return v.alert(m.path, m.raw, overrides)
}

// splitMalops finds the MalOps in a body, whichever endpoint it came from.
func splitMalops(body []byte) ([]rawMalop, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, errors.New("cybereason: empty body")
	}
	switch body[0] {
	case '[':
		return arrayMalops("", body)
	case '{':
	default:
		return nil, fmt.Errorf("cybereason: body is not JSON (starts with %q)", integrations.Truncate(string(body), 20))
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("cybereason: body is not a JSON object: %w", err)
	}
	if malops, ok := top["malops"]; ok {
		return arrayMalops("malops", malops)
	}
	if data, ok := top["data"]; ok && jsonKind(bytes.TrimSpace(data)) == "object" {
		var inner map[string]json.RawMessage
		if err := json.Unmarshal(data, &inner); err != nil {
			return nil, fmt.Errorf("cybereason: data: %w", err)
		}
		if elements, ok := inner["resultIdToElementDataMap"]; ok {
			return elementMalops("data.resultIdToElementDataMap", elements)
		}
		if list, ok := inner["data"]; ok {
			return arrayMalops("data.data", list)
		}
		return nil, errors.New("cybereason: data holds neither data (mmng/v2 MalOps) nor resultIdToElementDataMap (crimes/unified MalOps)")
	}
	if _, ok := top["guid"]; ok {
		return []rawMalop{{path: "malop", raw: body}}, nil
	}
	if _, ok := top["simpleValues"]; ok {
		return []rawMalop{{path: "malop", raw: body, element: true}}, nil
	}
	return nil, errors.New(`cybereason: unrecognized body: want {"malops":[...]}, {"data":{"data":[...]}}, ` +
		`{"data":{"resultIdToElementDataMap":{...}}}, an array of MalOps, or one MalOp with a guid`)
}

func arrayMalops(path string, list json.RawMessage) ([]rawMalop, error) {
	name := path
	if name == "" {
		name = "body"
	}
	list = bytes.TrimSpace(list)
	if len(list) == 0 || string(list) == "null" {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(list, &items); err != nil {
		return nil, fmt.Errorf("cybereason: %s is not a list of MalOps: %w", name, err)
	}
	out := make([]rawMalop, 0, len(items))
	for i, item := range items {
		out = append(out, rawMalop{path: fmt.Sprintf("%s[%d]", path, i), raw: item})
	}
	return out, nil
}

func elementMalops(path string, elements json.RawMessage) ([]rawMalop, error) {
	elements = bytes.TrimSpace(elements)
	if len(elements) == 0 || string(elements) == "null" {
		return nil, nil
	}
	var byKey map[string]json.RawMessage
	if err := json.Unmarshal(elements, &byKey); err != nil {
		return nil, fmt.Errorf("cybereason: %s is not a map of MalOps: %w", path, err)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]rawMalop, 0, len(keys))
	for _, k := range keys {
		out = append(out, rawMalop{path: fmt.Sprintf("%s[%q]", path, k), key: k, raw: byKey[k], element: true})
	}
	return out, nil
}

// malopView is what xsoc reads of a MalOp, whichever shape it came in.
type malopView struct {
	guid       string
	detection  string
	severity   string // the vendor's own word, "" when the MalOp has none
	hosts      []integrations.Host
	users      []string
	indicators []integrations.Indicator
	created    time.Time
	updated    time.Time
	status     string
	details    []string // "what: value" facts for the description and the findings
	unnamed    int      // machines the MalOp lists without a name
}

func (v malopView) alert(path string, raw json.RawMessage, overrides map[string]integrations.Severity) (integrations.Alert, error) {
	var problems []string
	if v.guid == "" {
		problems = append(problems, "guid is required")
	}
	if v.detection == "" {
		problems = append(problems, "no detection name: none of detectionTypes, malopDetectionType, detectionType, displayName, primaryRootCauseName, rootCauseElementNames is set")
	}
	if len(v.hosts) == 0 {
		problems = append(problems, "no machine with a name (machines[].displayName or affectedMachines)")
	}
	if len(problems) > 0 {
		return integrations.Alert{}, fmt.Errorf("%s: %s", path, strings.Join(problems, "; "))
	}
	severity := DefaultSeverity(v.severity)
	if override, ok := overrides[strings.ToLower(v.severity)]; ok && v.severity != "" {
		severity = override
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return integrations.Alert{}, fmt.Errorf("%s: %w", path, err)
	}
	observed := v.created
	if observed.IsZero() {
		observed = v.updated
	}
	return integrations.Alert{
		ID:             v.guid,
		Detection:      v.detection,
		Severity:       severity,
		ObservedAt:     observed,
		Hosts:          v.hosts,
		Users:          v.users,
		Indicators:     v.indicators,
		Description:    v.description(),
		Raw:            json.RawMessage(compact.Bytes()),
		VendorSeverity: v.severity,
	}, nil
}

func (v malopView) description() string {
	parts := append([]string{"Cybereason MalOp " + v.guid}, v.details...)
	if v.unnamed > 0 {
		parts = append(parts, fmt.Sprintf("%d further machine(s) without a name", v.unnamed))
	}
	return strings.Join(parts, "; ")
}

// malopModel is the MalOp as /rest/detection/inbox (MalopInboxModel) and
// /rest/mmng/v2/malops answer it; the two differ in a few field names.
type malopModel struct {
	GUID                 text     `json:"guid"`
	DisplayName          text     `json:"displayName"`
	PrimaryRootCauseName text     `json:"primaryRootCauseName"`
	RootCauseElementType text     `json:"rootCauseElementType"`
	DetectionTypes       textList `json:"detectionTypes"`
	MalopDetectionType   text     `json:"malopDetectionType"`
	DetectionType        text     `json:"detectionType"`
	MalopType            text     `json:"malopType"`
	DetectionEngines     textList `json:"detectionEngines"`
	DecisionStatuses     textList `json:"decisionStatuses"`
	MitreTechniques      textList `json:"mitreTechniques"`
	Severity             text     `json:"severity"`
	MalopSeverity        text     `json:"malopSeverity"`
	Priority             text     `json:"priority"`
	MalopPriority        text     `json:"malopPriority"`
	Status               text     `json:"status"`
	MalopStatus          text     `json:"malopStatus"`
	InvestigationStatus  text     `json:"investigationStatus"`
	CreationTime         number   `json:"creationTime"`
	LastUpdateTime       number   `json:"lastUpdateTime"`
	RootCauseHashes      textList `json:"rootCauseElementHashes"`
	Machines             []struct {
		GUID        text     `json:"guid"`
		DisplayName text     `json:"displayName"`
		PylumID     text     `json:"pylumId"`
		Isolated    flexBool `json:"isolated"`
	} `json:"machines"`
	Users []struct {
		DisplayName text `json:"displayName"`
	} `json:"users"`
}

func modelView(path string, raw json.RawMessage) (malopView, error) {
	raw = bytes.TrimSpace(raw)
	if jsonKind(raw) != "object" {
		return malopView{}, fmt.Errorf("%s: want a MalOp object, got %s", path, jsonKind(raw))
	}
	var m malopModel
	if err := json.Unmarshal(raw, &m); err != nil {
		return malopView{}, fmt.Errorf("%s: %w", path, err)
	}
	v := malopView{
		guid:     m.GUID.present(),
		severity: firstOf(m.Severity, m.MalopSeverity, m.Priority, m.MalopPriority),
		status:   firstOf(m.Status, m.MalopStatus),
	}
	code := firstOf(m.MalopDetectionType, m.DetectionType, m.MalopType)
	rootCause := firstOf(m.DisplayName, m.PrimaryRootCauseName)
	v.detection = detectionName(m.DetectionTypes, code, []string{rootCause})
	for _, machine := range m.Machines {
		name := machine.DisplayName.present()
		if name == "" {
			v.unnamed++
			continue
		}
		v.hosts = appendHost(v.hosts, integrations.Host{Name: name, ID: firstOf(machine.PylumID, machine.GUID)})
	}
	for _, user := range m.Users {
		v.users = appendUnique(v.users, user.DisplayName.present())
	}
	v.indicators = hashIndicators(nil, m.RootCauseHashes...)
	var err error
	if v.created, err = optionalTime(path+".creationTime", int64(m.CreationTime)); err != nil {
		return malopView{}, err
	}
	if v.updated, err = optionalTime(path+".lastUpdateTime", int64(m.LastUpdateTime)); err != nil {
		return malopView{}, err
	}
	v.details = nonEmptyFacts(
		"type", code,
		"root cause", strings.TrimSpace(m.RootCauseElementType.present()+" "+rootCause),
		"status", strings.Join(nonEmpty(v.status, m.InvestigationStatus.present()), ", "),
		"engines", strings.Join(m.DetectionEngines, ", "),
		"decision", strings.Join(m.DecisionStatuses, ", "),
		"MITRE techniques", strings.Join(m.MitreTechniques, ", "),
		"isolated machines", strings.Join(isolatedNames(m), ", "),
	)
	return v, nil
}

func isolatedNames(m malopModel) []string {
	var names []string
	for _, machine := range m.Machines {
		if machine.Isolated && machine.DisplayName.present() != "" {
			names = append(names, machine.DisplayName.present())
		}
	}
	return names
}

// element is one result of a visualsearch / crimes/unified query: a MalOp, a process,
// a machine… Values come as lists of strings under simpleValues and as references to
// other elements under elementValues.
type element struct {
	GUIDString    text                    `json:"guidString"`
	SimpleValues  map[string]simpleValue  `json:"simpleValues"`
	ElementValues map[string]elementValue `json:"elementValues"`
	FilterData    struct {
		GroupByValue text `json:"groupByValue"`
	} `json:"filterData"`
	MalopPriority text `json:"malopPriority"`
}

type simpleValue struct {
	TotalValues number            `json:"totalValues"`
	Values      []json.RawMessage `json:"values"`
}

type elementValue struct {
	TotalValues    number       `json:"totalValues"`
	ElementValues  []elementRef `json:"elementValues"`
	TotalMalicious number       `json:"totalMalicious"`
}

type elementRef struct {
	ElementType text `json:"elementType"`
	GUID        text `json:"guid"`
	Name        text `json:"name"`
}

// values answers the scalar values of a simple value (comments, which are objects,
// are not strings and are left out).
func (e element) values(key string) []string {
	var out []string
	for _, raw := range e.SimpleValues[key].Values {
		var t text
		if json.Unmarshal(raw, &t) == nil {
			if s := t.present(); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func (e element) first(key string) string {
	if values := e.values(key); len(values) > 0 {
		return values[0]
	}
	return ""
}

func (e element) refs(key string) []elementRef { return e.ElementValues[key].ElementValues }

// malopElementKeys are simple values only a MalOp element carries: a process or a
// machine result has none of them.
var malopElementKeys = []string{"detectionType", "rootCauseElementNames", "malopLastUpdateTime", "managementStatus", "decisionFeature"}

func (e element) isMalop() bool {
	for _, key := range malopElementKeys {
		if _, ok := e.SimpleValues[key]; ok {
			return true
		}
	}
	_, ok := e.ElementValues["affectedMachines"]
	return ok
}

func decodeElement(path string, raw json.RawMessage) (element, error) {
	raw = bytes.TrimSpace(raw)
	if jsonKind(raw) != "object" {
		return element{}, fmt.Errorf("%s: want an element object, got %s", path, jsonKind(raw))
	}
	var e element
	if err := json.Unmarshal(raw, &e); err != nil {
		return element{}, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

func elementView(path, key string, raw json.RawMessage) (malopView, error) {
	e, err := decodeElement(path, raw)
	if err != nil {
		return malopView{}, err
	}
	if !e.isMalop() {
		return malopView{}, fmt.Errorf("%s: not a MalOp: none of simpleValues.%s nor elementValues.affectedMachines is present",
			path, strings.Join(malopElementKeys, ", simpleValues."))
	}
	v := malopView{
		guid:     firstOf(e.GUIDString, text(key)),
		severity: firstOf(text(e.first("malopSeverity")), text(e.first("severity")), e.MalopPriority),
		status:   e.first("managementStatus"),
	}
	codes := e.values("detectionType")
	code := strings.Join(codes, ", ")
	rootCauses := e.values("rootCauseElementNames")
	if len(rootCauses) == 0 {
		for _, ref := range e.refs("rootCauseElements") {
			rootCauses = appendUnique(rootCauses, ref.Name.present())
		}
	}
	v.detection = detectionName(nil, code, rootCauses)
	for _, ref := range e.refs("affectedMachines") {
		name := ref.Name.present()
		if name == "" {
			v.unnamed++
			continue
		}
		v.hosts = appendHost(v.hosts, integrations.Host{Name: name, ID: ref.GUID.present()})
	}
	for _, ref := range e.refs("affectedUsers") {
		v.users = appendUnique(v.users, ref.Name.present())
	}
	v.indicators = hashIndicators(nil, e.values("rootCauseElementHashes")...)
	if v.created, err = optionalTime(path+".simpleValues.creationTime", firstMillis(e, "creationTime", "malopStartTime")); err != nil {
		return malopView{}, err
	}
	if v.updated, err = optionalTime(path+".simpleValues.malopLastUpdateTime", firstMillis(e, "malopLastUpdateTime")); err != nil {
		return malopView{}, err
	}
	suspects := ""
	if n := e.ElementValues["suspects"].TotalValues; n > 0 {
		suspects = fmt.Sprintf("%d", n)
	}
	v.details = nonEmptyFacts(
		"type", code,
		"root cause", strings.TrimSpace(strings.Join(e.values("rootCauseElementTypes"), ", ")+" "+strings.Join(rootCauses, ", ")),
		"management status", v.status,
		"decision", strings.Join(decisionFeatures(e.values("decisionFeatureSet"), e.values("decisionFeature")), ", "),
		"activity", strings.Join(e.values("malopActivityTypes"), ", "),
		"suspects", suspects,
	)
	return v, nil
}

// decisionFeatures turns "Process.blackListedFileHash(Malop decision)" into
// "blackListedFileHash", the part an analyst recognizes.
func decisionFeatures(lists ...[]string) []string {
	var out []string
	for _, list := range lists {
		for _, feature := range list {
			name, _, _ := strings.Cut(feature, "(")
			if i := strings.LastIndex(name, "."); i >= 0 {
				name = name[i+1:]
			}
			out = appendUnique(out, strings.TrimSpace(name))
		}
	}
	return out
}

func firstMillis(e element, keys ...string) int64 {
	for _, key := range keys {
		for _, raw := range e.SimpleValues[key].Values {
			var n number
			if json.Unmarshal(raw, &n) == nil && n != 0 {
				return int64(n)
			}
		}
	}
	return 0
}

// detectionName reads like the console's MalOp title: what Cybereason detected, then
// on what ("Malicious by Obscured Extension: handlecmsg.pdf.exe").
func detectionName(kinds []string, code string, rootCauses []string) string {
	what := strings.Join(nonEmpty(kinds...), ", ")
	if what == "" {
		what = code
	}
	on := strings.Join(nonEmpty(rootCauses...), ", ")
	switch {
	case what != "" && on != "":
		return what + ": " + on
	case what != "":
		return what
	}
	return on
}

func optionalTime(field string, ms int64) (time.Time, error) {
	if ms == 0 {
		return time.Time{}, nil
	}
	t, ok := millisTime(ms)
	if !ok {
		return time.Time{}, fmt.Errorf("%s: %d is not an epoch time in milliseconds", field, ms)
	}
	return t, nil
}

// hashIndicators keeps the values that are MD5, SHA-1 or SHA-256 hex digests, by length.
func hashIndicators(into []integrations.Indicator, values ...string) []integrations.Indicator {
	for _, value := range values {
		value = strings.ToLower(strings.TrimSpace(value))
		if _, err := hex.DecodeString(value); err != nil {
			continue
		}
		kind := map[int]string{32: "md5", 40: "sha1", 64: "sha256"}[len(value)]
		if kind == "" {
			continue
		}
		into = appendIndicator(into, integrations.Indicator{Type: kind, Value: value})
	}
	return into
}

func appendIndicator(list []integrations.Indicator, ind integrations.Indicator) []integrations.Indicator {
	if strings.TrimSpace(ind.Value) == "" || slices.Contains(list, ind) {
		return list
	}
	return append(list, ind)
}

func appendHost(hosts []integrations.Host, h integrations.Host) []integrations.Host {
	for i, known := range hosts {
		if strings.EqualFold(known.Label(), h.Label()) {
			if known.ID == "" {
				hosts[i].ID = h.ID
			}
			if known.IP == "" {
				hosts[i].IP = h.IP
			}
			return hosts
		}
	}
	return append(hosts, h)
}

func appendUnique(list []string, s string) []string {
	s = strings.TrimSpace(s)
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

func firstOf(values ...text) string {
	for _, v := range values {
		if s := v.present(); s != "" {
			return s
		}
	}
	return ""
}

func nonEmpty(values ...string) []string {
	var out []string
	for _, v := range values {
		out = appendUnique(out, v)
	}
	return out
}

// nonEmptyFacts pairs names and values ("type", code, …) into "type: code" lines,
// leaving out the empty ones.
func nonEmptyFacts(pairs ...string) []string {
	var out []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if value := strings.TrimSpace(pairs[i+1]); value != "" {
			out = append(out, pairs[i]+": "+value)
		}
	}
	return out
}

// normalizeSeverityMap checks a customer's override and keys it by lower-case word.
func normalizeSeverityMap(m map[string]string) (map[string]integrations.Severity, error) {
	out := make(map[string]integrations.Severity, len(m))
	for word, target := range m {
		severity, err := integrations.ParseSeverity(target)
		if err != nil {
			return nil, fmt.Errorf("cybereason: severity_map[%q]: %w", word, err)
		}
		out[strings.ToLower(strings.TrimSpace(word))] = severity
	}
	return out, nil
}
