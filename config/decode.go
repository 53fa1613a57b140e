package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The customers file is decoded value by value from its YAML tree rather than in one
// yaml.Decode: a value of the wrong type (a bad duration, text where a list belongs, an
// unknown key) becomes a problem with its path and line, and decoding goes on with the
// rest, so that one bad value never hides the others.

// decodeProblem is a value or key that could not be decoded: where it is in the file
// ("customers[0].sla.high.ack") and why, with its line.
type decodeProblem struct {
	path string
	line int
	why  string
	// lost: the value at path stayed unset (an unknown or repeated key loses nothing
	// the checks would read).
	lost bool
}

// maxValues bounds the values one file may decode into: YAML aliases can make a short
// file expand into billions of values.
const maxValues = 100_000

type treeDecoder struct {
	problems []decodeProblem
	// lines holds the line of every value decoded, by path, for the problems that the
	// checks of the rules find later.
	lines  map[string]int
	budget int
}

// decodeTree decodes the YAML in data into out (a pointer to a struct), collecting
// every value that does not fit, and answers the line of each value by path. Only a
// YAML syntax error or a file too large to read, after which nothing can be checked,
// is returned as an error.
func decodeTree(data []byte, out any) ([]decodeProblem, map[string]int, error) {
	var document yaml.Node
	if err := yaml.Unmarshal(data, &document); err != nil {
		return nil, nil, err
	}
	d := &treeDecoder{lines: map[string]int{}, budget: maxValues}
	if document.Kind == yaml.DocumentNode && len(document.Content) > 0 {
		d.decode(document.Content[0], reflect.ValueOf(out).Elem(), "")
	}
	if d.budget <= 0 {
		return nil, nil, fmt.Errorf("the file expands to more than %d values (aliases within aliases?)", maxValues)
	}
	return d.problems, d.lines, nil
}

// lost records a value that stays unset.
func (d *treeDecoder) lost(path string, node *yaml.Node, format string, args ...any) {
	d.add(path, node, true, format, args...)
}

// badKey records a key that is unknown or given twice.
func (d *treeDecoder) badKey(path string, node *yaml.Node, format string, args ...any) {
	d.add(path, node, false, format, args...)
}

func (d *treeDecoder) add(path string, node *yaml.Node, lost bool, format string, args ...any) {
	d.problems = append(d.problems, decodeProblem{path: path, line: node.Line, why: fmt.Sprintf(format, args...), lost: lost})
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// decode sets out from node; path names out in problems.
func (d *treeDecoder) decode(node *yaml.Node, out reflect.Value, path string) {
	node = resolve(node)
	if _, keyed := d.lines[path]; !keyed {
		d.lines[path] = node.Line
	}
	if !d.spend() || node.Kind == yaml.ScalarNode && node.ShortTag() == "!!null" {
		return
	}
	if out.Addr().Type().Implements(unmarshalerType) {
		if err := node.Decode(out.Addr().Interface()); err != nil {
			d.lost(path, node, "%v", err)
		}
		return
	}
	switch out.Kind() {
	case reflect.Pointer:
		if out.IsNil() {
			out.Set(reflect.New(out.Type().Elem()))
		}
		d.decode(node, out.Elem(), path)
	case reflect.Struct:
		fields := yamlFields(out.Type())
		d.mapping(node, out.Type(), path, func(key string, keyNode, value *yaml.Node) {
			index, ok := fields[key]
			if !ok {
				d.badKey(path, keyNode, "field %s not found%s", key, suggestion(key, fields))
				return
			}
			d.decode(value, out.FieldByIndex(index), joinPath(path, key))
		})
	case reflect.Map: // the customers file's maps are keyed by text
		if out.IsNil() {
			out.Set(reflect.MakeMap(out.Type()))
		}
		d.mapping(node, out.Type(), path, func(key string, _, value *yaml.Node) {
			element := reflect.New(out.Type().Elem()).Elem()
			d.decode(value, element, joinPath(path, key))
			out.SetMapIndex(reflect.ValueOf(key).Convert(out.Type().Key()), element)
		})
	case reflect.Slice:
		if node.Kind != yaml.SequenceNode {
			d.lost(path, node, "want %s, got %s", describe(out.Type()), got(node))
			return
		}
		items := reflect.MakeSlice(out.Type(), len(node.Content), len(node.Content))
		for i, item := range node.Content {
			d.decode(item, items.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		out.Set(items)
	default:
		d.scalar(node, out, path)
	}
}

// resolve answers the node an alias (*anchor) stands for.
func resolve(node *yaml.Node) *yaml.Node {
	for node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	return node
}

// spend counts one more value read, and tells whether the file is still within bounds.
func (d *treeDecoder) spend() bool {
	d.budget--
	return d.budget > 0
}

// mapping calls set for each key of a mapping node, merged keys (<<: *anchor) first,
// naming keys given twice.
func (d *treeDecoder) mapping(node *yaml.Node, t reflect.Type, path string, set func(key string, keyNode, value *yaml.Node)) {
	if node.Kind != yaml.MappingNode {
		d.lost(path, node, "want %s, got %s", describe(t), got(node))
		return
	}
	// A merged mapping may hold an alias to itself; spending on each mapping ends that.
	if !d.spend() {
		return
	}
	var explicit []int
	for i := 0; i+1 < len(node.Content); i += 2 {
		if node.Content[i].ShortTag() != "!!merge" {
			explicit = append(explicit, i)
			continue
		}
		merged := resolve(node.Content[i+1])
		sources := []*yaml.Node{merged}
		if merged.Kind == yaml.SequenceNode {
			sources = merged.Content
		}
		for _, source := range sources {
			d.mapping(resolve(source), t, path, set)
		}
	}
	firstLine := map[string]int{}
	for _, i := range explicit {
		keyNode, value := node.Content[i], node.Content[i+1]
		if keyNode.Kind != yaml.ScalarNode {
			d.badKey(path, keyNode, "a key must be plain text, got %s", got(keyNode))
			continue
		}
		key := keyNode.Value
		if line, twice := firstLine[key]; twice {
			d.badKey(path, keyNode, "%s given twice (first on line %d)", key, line)
			continue
		}
		firstLine[key] = keyNode.Line
		// A person finds a value by its key: "sla:" rather than the line below it.
		d.lines[joinPath(path, key)] = keyNode.Line
		set(key, keyNode, value)
	}
}

// scalar sets a plain value (text, number, true/false) from a scalar node.
func (d *treeDecoder) scalar(node *yaml.Node, out reflect.Value, path string) {
	if node.Kind != yaml.ScalarNode || node.Decode(out.Addr().Interface()) != nil {
		d.lost(path, node, "want %s, got %s", describe(out.Type()), got(node))
	}
}

// yamlFields maps a struct's YAML keys to its fields, as yaml.v3 names them (the tag's
// name, else the lower-cased field name; inline structs contribute their own keys).
func yamlFields(t reflect.Type) map[string][]int {
	fields := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, flags, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-":
		case slices.Contains(strings.Split(flags, ","), "inline"):
			for key, index := range yamlFields(f.Type) {
				fields[key] = append([]int{i}, index...)
			}
		case name == "":
			fields[strings.ToLower(f.Name)] = []int{i}
		default:
			fields[name] = []int{i}
		}
	}
	return fields
}

// suggestion names the known key closest to a mistyped one (at most two edits away).
func suggestion(key string, fields map[string][]int) string {
	best, bestDistance := "", 3
	for _, known := range sortedKeys(fields) {
		if distance := editDistance(key, known); distance < bestDistance {
			best, bestDistance = known, distance
		}
	}
	if best == "" {
		return fmt.Sprintf(" (known: %s)", strings.Join(sortedKeys(fields), ", "))
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	previous := make([]int, len(b)+1)
	for j := range previous {
		previous[j] = j
	}
	for i := 1; i <= len(a); i++ {
		current := make([]int, len(b)+1)
		current[0] = i
		for j := 1; j <= len(b); j++ {
			substitution := previous[j-1]
			if a[i-1] != b[j-1] {
				substitution++
			}
			current[j] = min(previous[j]+1, current[j-1]+1, substitution)
		}
		previous = current
	}
	return previous[len(b)]
}

// describe says what a person must write for a Go type.
func describe(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "a mapping (key: value)"
	case reflect.Slice:
		return "a list"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "text"
}

// got says what a node holds.
func got(node *yaml.Node) string {
	switch node.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", node.Value)
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
