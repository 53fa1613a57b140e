package main

import (
	"context"
	"encoding/json"
	"net/http"
)

// mailTotal answers how many messages Mailpit holds (-1 when it cannot tell): the
// bench's emails are the customers' pages and status updates, which a section
// counts by difference.
func mailTotal(ctx context.Context, mailpitURL string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, mailpitURL+"/api/v1/messages?limit=1", nil)
	if err != nil {
		return -1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var page struct {
		Total int `json:"total"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&page) != nil {
		return -1
	}
	return page.Total
}
