package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"xsoc/internal/e2e"
	"xsoc/workflows/api"
)

type mailpitMessage = e2e.Mail

// mails answers the messages Mailpit holds that match a search query.
func mails(query string) ([]mailpitMessage, error) { return e2e.Mails(xsoc.MailpitURL, query) }

// waitMail waits for a message to an address whose subject contains text.
func waitMail(t *testing.T, to, subjectContains string) mailpitMessage {
	t.Helper()
	var found mailpitMessage
	eventually(t, 15*time.Second, "mail to "+to+" about "+subjectContains, func() error {
		messages, err := mails("to:" + to)
		if err != nil {
			return err
		}
		for _, m := range messages {
			if strings.Contains(m.Subject, subjectContains) {
				found = m
				return nil
			}
		}
		return fmt.Errorf("none among %d messages", len(messages))
	})
	return found
}

func incidentStatus(t *testing.T, workflowID string) api.IncidentStatus {
	t.Helper()
	return e2e.IncidentStatus(t, xsoc.Temporal, workflowID)
}

// decide sends an analyst decision as an Update, by name, as the Temporal UI does.
func decide(t *testing.T, workflowID, name string, decision map[string]any) (api.DecisionResult, error) {
	t.Helper()
	return e2e.Decide(xsoc.Temporal, workflowID, name, decision)
}

// searchAttributes answers the incident's search attributes as the server holds them.
func searchAttributes(t *testing.T, workflowID string) map[string]string {
	t.Helper()
	return e2e.SearchAttributes(t, xsoc.Temporal, workflowID)
}

func waitState(t *testing.T, workflowID, state string) api.IncidentStatus {
	t.Helper()
	var status api.IncidentStatus
	eventually(t, 20*time.Second, workflowID+" reaching "+state, func() error {
		status = incidentStatus(t, workflowID)
		if status.State != state {
			return fmt.Errorf("state is %s", status.State)
		}
		return nil
	})
	return status
}

// slackPage waits for the incident's Slack page and answers its channel and timestamp.
func slackPage(t *testing.T, workflowID string) (channel, ts string) {
	t.Helper()
	eventually(t, 20*time.Second, "the Slack page", func() error {
		for _, m := range xsoc.Slack.Messages() {
			if m.Metadata != nil && strings.Contains(string(m.Blocks), workflowID) {
				channel, ts = m.Channel, m.TS
				return nil
			}
		}
		return fmt.Errorf("no message for %s", workflowID)
	})
	return channel, ts
}
