package store

import (
	"context"
	"fmt"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/tokens"
)

// SignOut ends the session of token. A token that is malformed or names no
// session is already signed out, and that is no error.
func (s *Store) SignOut(ctx context.Context, token string) error {
	if !tokens.Valid(tokens.SessionPrefix, token) {
		return nil
	}
	return s.write(ctx, func(t *tx) error {
		res, err := t.Exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokens.Hash(token))
		if err != nil {
			return fmt.Errorf("store: sign out: %w", err)
		}
		// Servers cache the token; only a deleted session needs them to
		// forget it.
		if n, _ := res.RowsAffected(); n > 0 {
			t.changed(changeAccess)
		}
		return nil
	})
}

// User returns a user by id.
func (s *Store) User(ctx context.Context, id string) (*keycard.User, error) {
	u, _, err := s.userBy(ctx, `id = ?`, id)
	return u, err
}
