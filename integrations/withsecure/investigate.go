package withsecure

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"xsoc/integrations"
)

// resolutions maps our verdicts to WithSecure incident resolutions. A benign true
// positive is real activity the customer accepts (an admin tool, a sanctioned test),
// which WithSecure calls acceptedBehavior.
var resolutions = map[string]string{
	"true_positive":        "confirmed",
	"false_positive":       "falsePositive",
	"benign_true_positive": "acceptedBehavior",
}

// Investigate summarizes the incident's detections: where, which processes and users,
// which hashes and remote addresses.
func (c *Client) Investigate(ctx context.Context, alert integrations.Alert) (integrations.Findings, error) {
	id := strings.TrimSpace(alert.ID)
	if id == "" {
		return integrations.Findings{}, fmt.Errorf("withsecure investigate: the alert has no incident id")
	}
	ev, err := c.evidence(ctx, id)
	if err != nil {
		return integrations.Findings{}, fmt.Errorf("withsecure investigate incident %s: %w", id, err)
	}
	return ev.findings(alert), nil
}

// WriteBack closes the WithSecure incident with the resolution matching our verdict and
// leaves our verdict, its author and note as a comment on it. The status goes first:
// repeating it on a retry changes nothing, while the comment is written once it holds.
func (c *Client) WriteBack(ctx context.Context, conclusion integrations.Conclusion) error {
	id := strings.TrimSpace(conclusion.AlertID)
	if id == "" {
		return fmt.Errorf("withsecure write-back: the conclusion has no incident id")
	}
	resolution, ok := resolutions[conclusion.Verdict]
	if !ok {
		known := make([]string, 0, len(resolutions))
		for v := range resolutions {
			known = append(known, v)
		}
		sort.Strings(known)
		return fmt.Errorf("withsecure write-back incident %s: verdict %q has no WithSecure resolution (want one of %s)",
			id, conclusion.Verdict, strings.Join(known, ", "))
	}

	const updateOp = "update incident status"
	var updated multistatus
	update := map[string]any{"targets": []string{id}, "status": "closed", "resolution": resolution}
	if err := c.call(ctx, updateOp, http.MethodPatch, "/incidents/v1/incidents", nil, update, &updated); err != nil {
		return fmt.Errorf("withsecure write-back incident %s: %w", id, err)
	}
	if _, err := updated.accepted(updateOp, id); err != nil {
		return fmt.Errorf("withsecure write-back incident %s: %w", id, err)
	}

	const commentOp = "comment incident"
	var commented commentAnswer
	comment := map[string]any{"targets": []string{id}, "comment": verdictComment(conclusion, resolution)}
	if err := c.call(ctx, commentOp, http.MethodPost, "/incidents/v1/comments", nil, comment, &commented); err != nil {
		return fmt.Errorf("withsecure write-back incident %s: %w", id, err)
	}
	if err := commented.check(commentOp, id); err != nil {
		return fmt.Errorf("withsecure write-back incident %s: %w", id, err)
	}
	return nil
}

func verdictComment(conclusion integrations.Conclusion, resolution string) string {
	text := fmt.Sprintf("xsoc verdict: %s (closed as %s)", conclusion.Verdict, resolution)
	if by := strings.TrimSpace(conclusion.By); by != "" {
		text += " by " + by
	}
	if note := strings.TrimSpace(conclusion.Note); note != "" {
		text += ": " + note
	}
	return text
}

// commentAnswer is the answer of POST /incidents/v1/comments: the comments written,
// and per-target statuses when some target was refused.
type commentAnswer struct {
	Items []struct {
		IncidentID string `json:"incidentId"`
		Comment    string `json:"comment"`
	} `json:"items"`
	multistatus
}

func (a commentAnswer) check(operation, id string) error {
	for _, item := range a.Items {
		if item.IncidentID == id {
			return nil
		}
	}
	_, err := a.accepted(operation, id)
	return err
}
