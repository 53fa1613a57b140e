package messages

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
)

// letter is a message before it is written for a channel: a subject and a lead
// sentence, then blocks of facts and lists, then the link (SOC messages only).
type letter struct {
	subject, lead string
	blocks        []block
	link          string
	linkLabel     string
	speech, sms   string
	noInput       string
}

// block is facts (label: value rows), a titled list, or a sentence on its own.
type block struct {
	facts    [][2]string
	title    string
	items    []string
	sentence string
}

// factsOf keeps the rows that have a value.
func factsOf(rows ...[2]string) block {
	var b block
	for _, r := range rows {
		if r[1] != "" {
			b.facts = append(b.facts, r)
		}
	}
	return b
}

func (b block) empty() bool { return len(b.facts) == 0 && len(b.items) == 0 && b.sentence == "" }

func (l *letter) add(blocks ...block) {
	for _, b := range blocks {
		if !b.empty() {
			l.blocks = append(l.blocks, b)
		}
	}
}

// message writes the letter for every channel.
func (l letter) message(w words) Message {
	return Message{
		Subject:     l.subject,
		Text:        l.text(),
		HTML:        l.html(),
		Slack:       l.slack(),
		Speech:      l.speech,
		NoInput:     l.noInput,
		SayLanguage: w.sayLanguage,
		SMS:         l.sms,
	}
}

// plainLayout is how a channel without markup writes a letter: fmt formats for the
// head (subject, lead), each block's parts and the link.
type plainLayout struct {
	head, gap, sentence, fact, title, item, link string
}

var (
	textLayout = plainLayout{head: "%[2]s\n", gap: "\n", sentence: "%s\n", fact: "%s: %s\n", title: "%s:\n", item: "  - %s\n", link: "\n%s: %s\n"}
	// Slack mrkdwn. The link is written bare: the Slack client escapes the text
	// (alert content comes from outside), which would break <url|label>, and Slack
	// links a bare URL by itself.
	slackLayout = plainLayout{head: "*%s*\n%s", sentence: "\n%s", fact: "\n• *%s*: %s", title: "\n*%s*", item: "\n    ◦ %s", link: "\n%s: %s"}
)

func (l letter) text() string  { return l.plain(textLayout) }
func (l letter) slack() string { return l.plain(slackLayout) }

func (l letter) plain(layout plainLayout) string {
	var out strings.Builder
	fmt.Fprintf(&out, layout.head, l.subject, l.lead)
	for _, b := range l.blocks {
		out.WriteString(layout.gap)
		if b.sentence != "" {
			fmt.Fprintf(&out, layout.sentence, b.sentence)
		}
		for _, f := range b.facts {
			fmt.Fprintf(&out, layout.fact, f[0], f[1])
		}
		if len(b.items) > 0 {
			fmt.Fprintf(&out, layout.title, b.title)
			for _, item := range b.items {
				fmt.Fprintf(&out, layout.item, item)
			}
		}
	}
	if l.link != "" {
		fmt.Fprintf(&out, layout.link, l.linkLabel, l.link)
	}
	return out.String()
}

var htmlLetter = htmltemplate.Must(htmltemplate.New("").Parse(`<!doctype html><html><body style="font-family:sans-serif">
<p><strong>{{.lead}}</strong></p>
{{range .blocks}}{{if .sentence}}<p>{{.sentence}}</p>
{{end}}{{if .facts}}<table cellpadding="4" style="border-collapse:collapse">{{range .facts}}<tr><th align="left" style="border-bottom:1px solid #ddd">{{index . 0}}</th><td style="border-bottom:1px solid #ddd">{{index . 1}}</td></tr>{{end}}</table>
{{end}}{{if .items}}<p>{{.title}}:</p><ul>{{range .items}}<li>{{.}}</li>{{end}}</ul>
{{end}}{{end}}{{if .link}}<p><a href="{{.link}}">{{.linkLabel}}</a></p>
{{end}}</body></html>`))

func (l letter) html() string {
	blocks := make([]map[string]any, 0, len(l.blocks))
	for _, b := range l.blocks {
		blocks = append(blocks, map[string]any{"facts": b.facts, "title": b.title, "items": b.items, "sentence": b.sentence})
	}
	var out bytes.Buffer
	_ = htmlLetter.Execute(&out, map[string]any{"lead": l.lead, "blocks": blocks, "link": l.link, "linkLabel": l.linkLabel})
	return out.String()
}
