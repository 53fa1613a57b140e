// Package email sends xsoc's mail through SMTP with go-mail.
package email

import (
	"context"
	"fmt"

	"github.com/wneessen/go-mail"
)

// Message is one email. MessageID is derived from the notification's key, so that a
// message sent again after a lost acknowledgement carries the same Message-ID and
// mail clients show it once.
type Message struct {
	To        string
	Subject   string
	Text      string
	HTML      string
	MessageID string
}

// Settings say how to reach the SMTP server.
type Settings struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	TLS      string // none | starttls | tls
}

// Sender sends mail through one SMTP server.
type Sender struct {
	settings Settings
}

// NewSender checks the settings and answers a sender.
func NewSender(s Settings) (*Sender, error) {
	if s.Host == "" || s.Port == 0 {
		return nil, fmt.Errorf("SMTP host and port are required")
	}
	if err := mail.NewMsg().From(s.From); err != nil {
		return nil, fmt.Errorf("XSOC_SMTP_FROM %q: %w", s.From, err)
	}
	return &Sender{settings: s}, nil
}

// Send delivers one message, plain text with an HTML alternative.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg := mail.NewMsg()
	if err := msg.From(s.settings.From); err != nil {
		return fmt.Errorf("from address %q: %w", s.settings.From, err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("to address %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	}
	msg.SetDate()
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	client, err := mail.NewClient(s.settings.Host, s.options()...)
	if err != nil {
		return fmt.Errorf("SMTP client for %s:%d: %w", s.settings.Host, s.settings.Port, err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("sending mail to %s through %s:%d: %w", m.To, s.settings.Host, s.settings.Port, err)
	}
	return nil
}

func (s *Sender) options() []mail.Option {
	options := []mail.Option{mail.WithPort(s.settings.Port)}
	switch s.settings.TLS {
	case "tls":
		options = append(options, mail.WithSSLPort(false), mail.WithPort(s.settings.Port))
	case "starttls":
		options = append(options, mail.WithTLSPortPolicy(mail.TLSMandatory), mail.WithPort(s.settings.Port))
	default:
		options = append(options, mail.WithTLSPortPolicy(mail.NoTLS))
	}
	if s.settings.Username != "" {
		options = append(options, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(s.settings.Username), mail.WithPassword(s.settings.Password))
	}
	return options
}
