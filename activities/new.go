package activities

import (
	"fmt"
	"log/slog"

	"xsoc/config"
	"xsoc/integrations/email"
	"xsoc/integrations/slack"
	"xsoc/integrations/twilio"
)

// New builds the activities with the real clients the settings name. A channel whose
// credentials are not set stays off, and an activity using it fails saying so.
func New(settings config.Settings, customers *config.Customers, log *slog.Logger) (*Activities, error) {
	a := &Activities{Settings: settings, Platforms: NewPlatforms(customers), Log: log}
	sender, err := email.NewSender(email.Settings{
		Host: settings.SMTPHost, Port: settings.SMTPPort, Username: settings.SMTPUsername,
		Password: settings.SMTPPassword, From: settings.SMTPFrom, TLS: settings.SMTPTLS,
	})
	if err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	a.Mailer = sender
	if settings.SlackToken != "" {
		a.Slack = slack.New(settings.SlackToken, settings.SlackAPIURL)
	}
	if settings.TwilioAccountSID != "" {
		a.Phone = twilio.New(settings.TwilioAccountSID, settings.TwilioAuthToken, settings.TwilioFrom, settings.TwilioAPIURL)
	}
	return a, nil
}
