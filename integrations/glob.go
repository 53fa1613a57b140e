package integrations

import "strings"

// GlobMatch matches a value against a pattern where * stands for any run of
// characters, case-insensitively. Nothing else is special: backslashes in user names
// (ACME\taro) and slashes in URLs match themselves. Suppression rules and syslog
// sources' event filters match alike.
func GlobMatch(pattern, value string) bool {
	pattern, value = strings.ToLower(pattern), strings.ToLower(value)
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == value
	}
	if !strings.HasPrefix(value, parts[0]) {
		return false
	}
	value = value[len(parts[0]):]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(value, part)
		if i < 0 {
			return false
		}
		value = value[i+len(part):]
	}
	return strings.HasSuffix(value, parts[len(parts)-1])
}
