package integrations

// CapabilitiesOf says what xsoc can do on each vendor's platform. Alerts posted in
// the generic format come from no platform we can act on.
func CapabilitiesOf(vendor string) Capabilities {
	switch vendor {
	case "cybereason", "withsecure":
		return Capabilities{IsolateHost: true, Investigate: true, WriteBackVerdict: true}
	case "zscaler":
		return Capabilities{BlockIndicators: true, Investigate: true}
	}
	return Capabilities{}
}
