package sim

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// --- login ---

func (s *Server) loginPage(w http.ResponseWriter, _ *http.Request) {
	writeHTML(w, loginPageHTML(""))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeHTML(w, loginPageHTML("Bad login request"))
		return
	}
	token := randomHex(16)
	// The simulator serves plain HTTP on localhost, where a Secure cookie would never come back.
	http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: token, Path: "/", HttpOnly: true}) //nolint:gosec // G124: see above
	if r.PostForm.Get("username") != s.username || r.PostForm.Get("password") != s.password {
		// The servlet container hands out a session cookie either way; only the page
		// tells a refused login.
		writeHTML(w, loginPageHTML("Incorrect username or password"))
		return
	}
	s.mu.Lock()
	s.sessions[token] = true
	s.mu.Unlock()
	writeHTML(w, consoleHTML)
}

// --- MalOp lists ---

func (s *Server) inbox(w http.ResponseWriter, r *http.Request) {
	var q struct {
		StartTime int64 `json:"startTime"`
		EndTime   int64 `json:"endTime"`
	}
	if !decodeBody(w, r, &q) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	malops := []any{}
	for _, m := range s.sortedMalops() {
		if m.LastUpdateTime >= q.StartTime && (q.EndTime == 0 || m.LastUpdateTime <= q.EndTime) {
			malops = append(malops, s.inboxModelLocked(m))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"malops": malops,
		"machineCounterModel": map[string]int{
			"totalMachines": len(s.sensors), "onlineInfectedCount": 0, "onlineCleanCount": len(s.sensors),
			"offlineInfectedCount": 0, "offlineCleanCount": 0,
		},
	})
}

func (s *Server) mmngMalops(w http.ResponseWriter, r *http.Request) {
	var q struct {
		Search struct {
			Malop struct {
				GUID string `json:"guid"`
			} `json:"malop"`
		} `json:"search"`
		Range *struct {
			From int64 `json:"from"`
			To   int64 `json:"to"`
		} `json:"range"`
		Pagination struct {
			PageSize int `json:"pageSize"`
			Offset   int `json:"offset"`
		} `json:"pagination"`
		Filter struct {
			Malop struct {
				Status []string `json:"status"`
			} `json:"malop"`
		} `json:"filter"`
		Sort []struct {
			Field string `json:"field"`
			Order string `json:"order"`
		} `json:"sort"`
	}
	if !decodeBody(w, r, &q) {
		return
	}
	pageSize := q.Pagination.PageSize
	if pageSize <= 0 {
		pageSize = 50
	}
	if pageSize > 1000 || q.Pagination.Offset < 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "FAILED", "message": "pagination: pageSize must be 1..1000 and offset not negative"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []*malopRecord
	for _, m := range s.sortedMalops() {
		if q.Search.Malop.GUID != "" && m.GUID != q.Search.Malop.GUID {
			continue
		}
		if q.Range != nil && (m.LastUpdateTime < q.Range.From || m.LastUpdateTime > q.Range.To) {
			continue
		}
		if len(q.Filter.Malop.Status) > 0 && !containsFold(q.Filter.Malop.Status, m.Status) {
			continue
		}
		matched = append(matched, m)
	}
	if len(q.Sort) > 0 {
		byCreation := strings.EqualFold(q.Sort[0].Field, "CreationTime")
		desc := strings.EqualFold(q.Sort[0].Order, "desc")
		sortMalops(matched, byCreation, desc)
	}
	page := []any{}
	for i := q.Pagination.Offset; i < len(matched) && i < q.Pagination.Offset+pageSize; i++ {
		page = append(page, s.mmngModelLocked(matched[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"data": map[string]any{
			"pageSize": pageSize, "pages": (len(matched) + pageSize - 1) / pageSize, "offset": q.Pagination.Offset,
			"totalHits": len(matched), "token": "", "data": page,
		},
		"status": "SUCCESS",
	})
}

func sortMalops(list []*malopRecord, byCreation, desc bool) {
	key := func(m *malopRecord) int64 {
		if byCreation {
			return m.CreationTime
		}
		return m.LastUpdateTime
	}
	less := func(a, b *malopRecord) bool {
		if key(a) != key(b) {
			return key(a) < key(b)
		}
		return a.GUID < b.GUID
	}
	sort.SliceStable(list, func(i, j int) bool {
		if desc {
			return less(list[j], list[i])
		}
		return less(list[i], list[j])
	})
}

func (s *Server) machineModelsLocked(m *malopRecord, withPylum bool) []any {
	machines := []any{}
	for _, machine := range m.Machines {
		sensor := s.sensorByNameLocked(machine.Name)
		model := map[string]any{
			"guid": m.machineGUIDs[machine.Name], "displayName": machine.Name, "osType": "WINDOWS",
			"connected": sensor != nil && sensor.Status == "Online", "isolated": sensor != nil && sensor.Isolated,
			"lastConnected": time.Now().UnixMilli(),
		}
		if withPylum {
			model["pylumId"] = machine.PylumID
		} else {
			model["@class"] = ".MachineInboxModel"
			model["empty"] = true
		}
		machines = append(machines, model)
	}
	return machines
}

func (m *malopRecord) userModels(withClass bool) []any {
	users := []any{}
	for _, u := range m.users {
		model := map[string]any{"guid": u.guid, "displayName": u.name, "admin": false,
			"localSystem": strings.HasSuffix(strings.ToLower(u.name), `\system`), "domainUser": false}
		if withClass {
			model["@class"] = ".UserInboxModel"
		}
		users = append(users, model)
	}
	return users
}

func (m *malopRecord) engines() []string {
	if m.NonEDR {
		return []string{"AntiVirus"}
	}
	return []string{"EDR"}
}

func (s *Server) inboxModelLocked(m *malopRecord) map[string]any {
	closed := m.Status == "Closed" || m.Status == "Remediated"
	return map[string]any{
		"@class": ".MalopInboxModel", "guid": m.GUID, "displayName": m.Name, "rootCauseElementType": "File",
		"primaryRootCauseName": m.Name, "rootCauseElementNamesCount": 1, "detectionEngines": m.engines(),
		"detectionTypes": []string{m.DetectionType}, "malopDetectionType": m.MalopType,
		"creationTime": m.CreationTime, "lastUpdateTime": m.LastUpdateTime, "iconBase64": "",
		"priority": strings.ToUpper(m.Severity), "group": "", "rootCauseElementHashes": strings.Join(m.Hashes, ","),
		"status": m.Status, "severity": m.Severity, "machines": s.machineModelsLocked(m, false),
		"users": m.userModels(true), "containers": []any{}, "labels": []any{}, "decisionStatuses": []string{"Detected"},
		"malopCloseTime": nil, "closerName": nil, "escalated": false, "edr": !m.NonEDR,
		"malopStatus": m.Status, "malopSeverity": m.Severity, "malopType": m.MalopType,
		"malopPriority": strings.ToUpper(m.Severity), "closed": closed, "empty": true,
	}
}

func (s *Server) mmngModelLocked(m *malopRecord) map[string]any {
	hashes := m.Hashes
	if hashes == nil {
		hashes = []string{}
	}
	return map[string]any{
		"guid": m.GUID, "displayName": m.Name, "creationTime": m.CreationTime, "lastUpdateTime": m.LastUpdateTime,
		"metadataUpdateTime": m.metadataUpdate, "decisionStatuses": []string{}, "detectionEngines": m.engines(),
		"mitreTactics": []string{}, "mitreTechniques": []string{}, "mitreSubTechniques": []string{},
		"rootCauseElementHashes": hashes, "iocs": []string{"File"}, "detectionTypes": []string{m.DetectionType},
		"labels": []any{}, "investigationStatus": investigationStatus(m.managementStatus), "closerName": nil,
		"priority": strings.ToUpper(m.Severity), "status": m.Status, "severity": m.Severity,
		"detectionType": m.MalopType, "escalated": false, "iconBase64": "", "isEdr": !m.NonEDR, "groups": []string{},
		"rootCauseElementType": "File", "machines": s.machineModelsLocked(m, true), "users": m.userModels(false),
	}
}

func investigationStatus(management string) string {
	switch management {
	case "CLOSED", "FP":
		return "Closed"
	case "OPEN":
		return "UnderInvestigation"
	}
	return "Pending"
}

// --- visualsearch ---

type queryPathItem struct {
	RequestedType     string   `json:"requestedType"`
	GUIDList          []string `json:"guidList"`
	ConnectionFeature struct {
		FeatureName string `json:"featureName"`
	} `json:"connectionFeature"`
	Filters []struct {
		FacetName string `json:"facetName"`
		Values    []any  `json:"values"`
	} `json:"filters"`
}

type visualQuery struct {
	QueryPath []queryPathItem `json:"queryPath"`
}

// decodeVisualQuery reads a query path body, answering 400 as the console does when
// it is missing.
func decodeVisualQuery(w http.ResponseWriter, r *http.Request) (visualQuery, bool) {
	var q visualQuery
	if !decodeBody(w, r, &q) {
		return q, false
	}
	if len(q.QueryPath) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "FAILED", "message": "queryPath is required"})
		return q, false
	}
	return q, true
}

func (s *Server) crimesUnified(w http.ResponseWriter, r *http.Request) {
	q, ok := decodeVisualQuery(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	elements := map[string]any{}
	if q.QueryPath[0].RequestedType == "MalopProcess" {
		for _, m := range s.sortedMalops() {
			if m.NonEDR || (len(q.QueryPath[0].GUIDList) > 0 && !containsFold(q.QueryPath[0].GUIDList, m.GUID)) {
				continue
			}
			elements[m.GUID] = s.malopElementLocked(m)
		}
	}
	writeJSON(w, http.StatusOK, elementsAnswer(elements, "MalopProcess"))
}

func (s *Server) visualSearch(w http.ResponseWriter, r *http.Request) {
	q, ok := decodeVisualQuery(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	first, last := q.QueryPath[0], q.QueryPath[len(q.QueryPath)-1]
	elements := map[string]any{}
	grouping := last.RequestedType
	switch {
	case first.RequestedType == "MalopProcess" && first.ConnectionFeature.FeatureName == "suspects" && last.RequestedType == "Process":
		for _, m := range s.sortedMalops() {
			if !containsFold(first.GUIDList, m.GUID) {
				continue
			}
			for _, p := range m.processes {
				elements[p.guid] = s.processElementLocked(m, p)
			}
		}
	case first.RequestedType == "Machine" && len(q.QueryPath) == 1:
		var names []string
		for _, f := range first.Filters {
			if f.FacetName == "elementDisplayName" {
				for _, v := range f.Values {
					names = append(names, fmt.Sprint(v))
				}
			}
		}
		for _, sensor := range s.sensors {
			if len(names) == 0 || containsFold(names, sensor.Name) {
				elements[sensor.guid] = machineElement(sensor)
			}
		}
	}
	writeJSON(w, http.StatusOK, elementsAnswer(elements, grouping))
}

func elementsAnswer(elements map[string]any, grouping string) map[string]any {
	return map[string]any{
		"data": map[string]any{
			"resultIdToElementDataMap": elements, "suspicionsMap": map[string]any{}, "evidenceMap": map[string]any{},
			"totalPossibleResults": len(elements), "guessedPossibleResults": 0,
			"queryLimits": map[string]any{"totalResultLimit": 10000, "perGroupLimit": 100, "perFeatureLimit": 100,
				"groupingFeature": map[string]any{"elementInstanceType": grouping, "featureName": "self"}, "sortInGroupFeature": "None"},
			"queryTerminated": "False", "pathResultCounts": []any{}, "guids": []any{},
			"paginationToken": "None", "executionUUID": "None",
		},
		"status": "SUCCESS", "hidePartialSuccess": "False", "message": "", "expectedResults": len(elements), "failures": 0,
	}
}

// values is a visualsearch simple value: every value a string, as the console sends them.
func values(items ...string) map[string]any {
	out := []any{}
	for _, item := range items {
		if item != "" {
			out = append(out, item)
		}
	}
	return map[string]any{"totalValues": len(out), "values": out}
}

func refs(elementType string, items ...[2]string) map[string]any {
	out := []any{}
	for _, item := range items {
		out = append(out, map[string]any{"elementType": elementType, "guid": item[0], "name": item[1],
			"hasSuspicions": "False", "hasMalops": "False"})
	}
	return map[string]any{"totalValues": len(out), "elementValues": out, "totalSuspicious": 0, "totalMalicious": 0, "guessedTotal": 0}
}

func (s *Server) malopElementLocked(m *malopRecord) map[string]any {
	var machines, users, suspects [][2]string
	for _, machine := range m.Machines {
		guid := ""
		if sensor := s.sensorByNameLocked(machine.Name); sensor != nil {
			guid = sensor.guid
		}
		machines = append(machines, [2]string{guid, machine.Name})
	}
	for _, u := range m.users {
		users = append(users, [2]string{u.guid, u.name})
	}
	for _, p := range m.processes {
		suspects = append(suspects, [2]string{p.guid, p.Name})
	}
	comments := []any{}
	for _, c := range m.comments {
		comments = append(comments, c)
	}
	rootCause := [2]string{m.rootCauseGUID, m.Name}
	ms := func(v int64) string { return strconv.FormatInt(v, 10) }
	return map[string]any{
		"simpleValues": map[string]any{
			"detectionType":          values(m.MalopType),
			"malopActivityTypes":     values("MALICIOUS_INFECTION"),
			"creationTime":           values(ms(m.CreationTime)),
			"malopStartTime":         values(ms(m.CreationTime)),
			"malopLastUpdateTime":    values(ms(m.LastUpdateTime)),
			"rootCauseElementNames":  values(m.Name),
			"rootCauseElementTypes":  values("File"),
			"rootCauseElementHashes": values(m.Hashes...),
			"managementStatus":       values(m.managementStatus),
			"decisionFeature":        values("Process.maliciousProcess(Malop decision)"),
			"isBlocked":              values("False"),
			"closeTime":              values("None"),
			"closerName":             values("None"),
			"comments":               map[string]any{"totalValues": len(comments), "values": comments},
		},
		"elementValues": map[string]any{
			"suspects":                 refs("Process", suspects...),
			"affectedMachines":         refs("Machine", machines...),
			"affectedUsers":            refs("User", users...),
			"rootCauseElements":        refs("File", rootCause),
			"primaryRootCauseElements": refs("File", rootCause),
		},
		"suspicions":  map[string]any{},
		"filterData":  map[string]any{"sortInGroupValue": m.GUID, "groupByValue": "MalopProcessRuntime:" + m.GUID + " "},
		"isMalicious": "False", "suspicionCount": 0, "guidString": m.GUID, "labelsIds": []any{},
		"malopPriority": "None", "malicious": "False", "suspect": "False",
	}
}

func (s *Server) processElementLocked(m *malopRecord, p processRecord) map[string]any {
	machineGUID := ""
	if sensor := s.sensorByNameLocked(p.Machine); sensor != nil {
		machineGUID = sensor.guid
	}
	pid := ""
	if p.PID > 0 {
		pid = strconv.Itoa(p.PID)
	}
	return map[string]any{
		"simpleValues": map[string]any{
			"elementDisplayName":                    values(p.Name),
			"pid":                                   values(pid),
			"commandLine":                           values(p.CommandLine),
			"creationTime":                          values(strconv.FormatInt(m.CreationTime, 10)),
			"imageFile.sha1String":                  values(p.SHA1),
			"imageFile.md5String":                   values(p.MD5),
			"imageFile.maliciousClassificationType": values("malware"),
			"isLiveProcess":                         values("true"),
		},
		"elementValues": map[string]any{
			"ownerMachine":   refs("Machine", [2]string{machineGUID, p.Machine}),
			"calculatedUser": refs("User", [2]string{"", p.User}),
			"self":           refs("Process", [2]string{p.guid, p.Name}),
			"imageFile":      refs("File", [2]string{"", p.Name}),
		},
		"suspicions":  map[string]any{"maliciousProcessSuspicion": m.CreationTime},
		"filterData":  map[string]any{"sortInGroupValue": p.guid, "groupByValue": p.Name},
		"isMalicious": true, "suspicionCount": 1, "guidString": p.guid, "labelsIds": nil, "malopPriority": nil,
		"malicious": true, "suspect": true,
	}
}

func machineElement(sensor *sensorRecord) map[string]any {
	return map[string]any{
		"simpleValues":  map[string]any{"pylumId": values(sensor.PylumID), "elementDisplayName": values(sensor.Name)},
		"elementValues": map[string]any{},
		"suspicions":    map[string]any{},
		"filterData": map[string]any{"sortInGroupValue": sensor.guid,
			"groupByValue": "MachineRuntime:" + sensor.guid + " computerName=" + sensor.Name + " , "},
		"isMalicious": "False", "suspicionCount": 0, "guidString": sensor.guid, "labelsIds": "None",
		"malopPriority": "None", "suspect": "False", "malicious": "False",
	}
}

// --- sensors and isolation ---

func (s *Server) sensorsQuery(w http.ResponseWriter, r *http.Request) {
	var q struct {
		Limit   int `json:"limit"`
		Offset  int `json:"offset"`
		Filters []struct {
			FieldName string `json:"fieldName"`
			Operator  string `json:"operator"`
			Values    []any  `json:"values"`
		} `json:"filters"`
	}
	if !decodeBody(w, r, &q) {
		return
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var matched []*sensorRecord
	for _, sensor := range s.sensors {
		keep := true
		for _, f := range q.Filters {
			value, known := map[string]string{"machineName": sensor.Name, "fqdn": strings.ToLower(sensor.Name),
				"pylumId": sensor.PylumID, "guid": sensor.guid, "status": sensor.Status,
				"sensorId": sensorID(sensor)}[f.FieldName]
			if !known {
				writeJSON(w, http.StatusBadRequest, map[string]string{"status": "FAILED", "message": "unknown filter field " + f.FieldName})
				return
			}
			wanted := make([]string, 0, len(f.Values))
			for _, v := range f.Values {
				wanted = append(wanted, fmt.Sprint(v))
			}
			switch f.Operator {
			case "Equals":
				keep = keep && containsFold(wanted, value)
			case "NotEquals":
				keep = keep && !containsFold(wanted, value)
			case "ContainsIgnoreCase":
				hit := false
				for _, want := range wanted {
					hit = hit || strings.Contains(strings.ToLower(value), strings.ToLower(want))
				}
				keep = keep && hit
			default:
				writeJSON(w, http.StatusBadRequest, map[string]string{"status": "FAILED", "message": "unknown filter operator " + f.Operator})
				return
			}
		}
		if keep {
			matched = append(matched, sensor)
		}
	}
	page := []any{}
	for i := q.Offset; i >= 0 && i < len(matched) && i < q.Offset+q.Limit; i++ {
		page = append(page, sensorModel(matched[i]))
	}
	more := q.Offset+q.Limit < len(matched)
	byStatus := map[string]int{}
	for _, sensor := range matched {
		byStatus[strings.ToLower(sensor.Status)]++
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"totalResults": len(matched),
		"sensorsStatus": map[string]any{"@class": ".SensorsStatusOverview", "onlineCount": byStatus["online"],
			"offlineCount": byStatus["offline"], "staleCount": byStatus["stale"], "archivedCount": byStatus["archived"]},
		"sensors":        page,
		"hasMoreResults": strconv.FormatBool(more),
	})
}

func sensorID(sensor *sensorRecord) string { return "5e77883de4b0575ddcf824ef:" + sensor.PylumID }

// sensorModel answers a sensor as /rest/sensors/query does, flags as "true"/"false"
// strings unless the sensor was registered with native booleans.
func sensorModel(sensor *sensorRecord) map[string]any {
	flag := func(b bool) any {
		if sensor.NativeBools {
			return b
		}
		return strconv.FormatBool(b)
	}
	return map[string]any{
		"sensorId": sensorID(sensor), "pylumId": sensor.PylumID, "guid": sensor.guid,
		"fqdn": strings.ToLower(sensor.Name), "machineName": sensor.Name,
		"internalIpAddress": sensor.IP, "externalIpAddress": sensor.IP, "siteName": "Default", "siteId": 0,
		"isolated": flag(sensor.Isolated), "status": sensor.Status, "serviceStatus": "Up",
		"osType": "WINDOWS", "osVersionType": "Windows_10", "lastPylumUpdateTimestampMs": sensor.lastSeen,
		"outdated": flag(false), "disconnected": flag(sensor.Status != "Online"), "compliance": flag(true),
		"groupName": "Default", "policyName": "Default",
	}
}

func (s *Server) isolationCommand(isolate bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var q struct {
			PylumIDs []string `json:"pylumIds"`
		}
		if !decodeBody(w, r, &q) {
			return
		}
		if len(q.PylumIDs) == 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"status": "FAILED", "message": "pylumIds is required"})
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		answer := map[string]string{}
		for _, id := range q.PylumIDs {
			sensor := s.sensorByPylumLocked(id)
			if sensor == nil || sensor.Status == "Archived" {
				answer[id] = "Failed"
				continue
			}
			if isolate && !sensor.Isolated {
				sensor.isolatedAt = time.Now()
			}
			sensor.Isolated = isolate
			answer[id] = "Succeeded"
		}
		writeJSON(w, http.StatusOK, answer)
	}
}

// --- MalOp status and comments ---

var managementStatuses = []string{"TODO", "UNREAD", "OPEN", "CLOSED", "FP"}

func (s *Server) crimesStatus(w http.ResponseWriter, r *http.Request) {
	var q map[string]string
	if !decodeBody(w, r, &q) {
		return
	}
	if len(q) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "FAILED", "message": "body must map a MalOp guid to a status"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for guid, status := range q {
		m, ok := s.malops[guid]
		if !ok {
			writeJSON(w, http.StatusOK, map[string]string{"status": "FAILED", "message": "Malop " + guid + " does not exist"})
			return
		}
		if !containsFold(managementStatuses, status) {
			writeJSON(w, http.StatusOK, map[string]string{"status": "FAILED",
				"message": fmt.Sprintf("Invalid status %q: want one of %s", status, strings.Join(managementStatuses, ", "))})
			return
		}
		m.managementStatus = strings.ToUpper(status)
		m.metadataUpdate = time.Now().UnixMilli()
		switch m.managementStatus {
		case "CLOSED":
			m.Status = "Remediated"
		case "FP":
			m.Status = "Closed"
		default:
			m.Status = "Active"
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "SUCCESS", "message": ""})
}

func (s *Server) addComment(w http.ResponseWriter, r *http.Request) {
	guid := r.PathValue("guid")
	body, _ := io.ReadAll(r.Body) // ServeHTTP already read it into memory
	message := strings.TrimSpace(string(body))
	if message == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "FAILED", "message": "comment text is required"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.malops[guid]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"status": "FAILED", "message": "Malop " + guid + " does not exist"})
		return
	}
	// The console stores comments HTML-escaped and answers them so.
	c := Comment{ID: randomHex(16), Username: s.username, Message: html.EscapeString(message), Timestamp: time.Now().UnixMilli()}
	m.comments = append(m.comments, c)
	m.metadataUpdate = c.Timestamp
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) getComments(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body) // ServeHTTP already read it into memory
	guid := strings.TrimSpace(string(body))
	s.mu.Lock()
	defer s.mu.Unlock()
	comments := []Comment{}
	if m, ok := s.malops[guid]; ok {
		comments = append(comments, m.comments...)
	}
	writeJSON(w, http.StatusOK, comments)
}

// --- helpers ---

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"status": "FAILED", "message": "request body is not the expected JSON: " + err.Error()})
		return false
	}
	return true
}

func containsFold(list []string, s string) bool {
	for _, item := range list {
		if strings.EqualFold(item, s) {
			return true
		}
	}
	return false
}
