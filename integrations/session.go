package integrations

import (
	"context"
	"sync"
)

// Session is a console login shared by a client's concurrent calls (Cybereason's and
// ZIA's JSESSIONID): one login at a time, and a call whose session was refused logs
// in again once, unless another call already replaced that session.
type Session struct {
	mu    sync.Mutex
	value string
}

// Current answers the session, logging in when there is none yet.
func (s *Session) Current(ctx context.Context, login func(context.Context) (string, error)) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.value != "" {
		return s.value, nil
	}
	return s.loginLocked(ctx, login)
}

// Renew replaces a session the vendor refused, unless another call already did.
func (s *Session) Renew(ctx context.Context, stale string, login func(context.Context) (string, error)) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.value != "" && s.value != stale {
		return s.value, nil
	}
	s.value = ""
	return s.loginLocked(ctx, login)
}

func (s *Session) loginLocked(ctx context.Context, login func(context.Context) (string, error)) (string, error) {
	value, err := login(ctx)
	if err != nil {
		return "", err
	}
	s.value = value
	return value, nil
}
