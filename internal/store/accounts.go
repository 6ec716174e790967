package store

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/tokens"
)

// SessionTTL is how long a session token works, as in Channex.
const SessionTTL = 24 * time.Hour

// RefreshTTL is how long a refresh token works.
const RefreshTTL = 30 * 24 * time.Hour

// dummyHashes holds, by bcrypt cost, the hash compared against when an
// email is unknown, so that a wrong email costs as long as a wrong
// password and does not reveal itself. It is made at the store's own
// cost, the cost of the hashes it stores, on first use (which therefore
// takes one hash longer, once per process).
var dummyHashes sync.Map // int -> func() []byte

func dummyHash(cost int) []byte {
	once, _ := dummyHashes.LoadOrStore(cost, sync.OnceValue(func() []byte {
		h, _ := bcrypt.GenerateFromPassword([]byte("keycard-no-such-user"), cost)
		return h
	}))
	return once.(func() []byte)()
}

// SetPasswordCost sets the bcrypt cost of new password hashes (and of the
// hash an unknown email is checked against); tests lower it to keep fast.
func (s *Store) SetPasswordCost(cost int) { s.passwordCost = cost }

func (s *Store) cost() int {
	if s.passwordCost == 0 {
		return bcrypt.DefaultCost
	}
	return s.passwordCost
}

func (s *Store) hashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cost())
	if err != nil {
		return "", fmt.Errorf("store: hash password: %w", err)
	}
	return string(h), nil
}

// CreateOwner creates a user and a new organisation the user owns, with its
// default group. The organisation's subscription starts inactive.
func (s *Store) CreateOwner(ctx context.Context, email, password, name string) (*keycard.User, *keycard.Organization, error) {
	fe := keycard.FieldErrors{}
	if msg := keycard.ValidateEmail(email); msg != "" {
		fe.Add("email", msg)
	}
	if msg := keycard.ValidatePassword(password); msg != "" {
		fe.Add("password", msg)
	}
	if len([]rune(name)) > 50 {
		fe.Add("name", "is too long (maximum is 50 characters)")
	}
	if err := fe.Err(); err != nil {
		return nil, nil, err
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	u := &keycard.User{ID: newID(), Email: strings.TrimSpace(email), Name: strings.TrimSpace(name), HasPassword: true, CreatedAt: now}
	if u.Name == "" {
		u.Name = u.Email[:strings.IndexByte(u.Email, '@')]
	}
	org := &keycard.Organization{ID: newID(), Name: u.Name + "'s organisation", OwnerUserID: u.ID,
		SubscriptionStatus: keycard.SubscriptionInactive, CreatedAt: now}
	u.OrganizationID = org.ID
	err = s.write(ctx, func(t *tx) error {
		t.changed(changeView)
		if _, err := t.Exec(ctx, `INSERT INTO organizations (id, name, owner_user_id, subscription_status, created_at) VALUES (?, ?, ?, ?, ?)`,
			org.ID, org.Name, org.OwnerUserID, org.SubscriptionStatus, micros(now)); err != nil {
			return fmt.Errorf("store: create organization: %w", err)
		}
		if err := s.insertUser(ctx, t, u, hash); err != nil {
			return err
		}
		t.changed(changeView)
		_, err := t.Exec(ctx, `INSERT INTO groups (id, organization_id, title, is_default, created_at) VALUES (?, ?, ?, ?, ?)`,
			newID(), org.ID, "Default group", true, micros(now))
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return u, org, nil
}

func (s *Store) insertUser(ctx context.Context, t *tx, u *keycard.User, passwordHash string) error {
	var hash any
	if passwordHash != "" {
		hash = passwordHash
	}
	_, err := t.Exec(ctx, `INSERT INTO users (id, email, email_key, name, password_hash, organization_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, keycard.NormalizeEmail(u.Email), u.Name, hash, u.OrganizationID, micros(u.CreatedAt))
	if s.dialect.isUnique(err) {
		return keycard.Invalid("email", "has already been taken")
	}
	if err != nil {
		return fmt.Errorf("store: create user: %w", err)
	}
	return nil
}

// SetPassword sets the password of the user with the given email and ends
// the user's sessions.
func (s *Store) SetPassword(ctx context.Context, email, password string) error {
	if msg := keycard.ValidatePassword(password); msg != "" {
		return keycard.Invalid("password", msg)
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return err
	}
	return s.write(ctx, func(t *tx) error {
		res, err := t.Exec(ctx, `UPDATE users SET password_hash = ? WHERE email_key = ?`, hash, keycard.NormalizeEmail(email))
		if err != nil {
			return fmt.Errorf("store: set password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return keycard.Errorf(keycard.ENotFound, "no user has that email")
		}
		if _, err := t.Exec(ctx, `DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE email_key = ?)`, keycard.NormalizeEmail(email)); err != nil {
			return fmt.Errorf("store: end sessions: %w", err)
		}
		t.changed(changeAccess)
		return nil
	})
}

// SetSubscription sets an organisation's subscription status.
func (s *Store) SetSubscription(ctx context.Context, orgID, status string) error {
	if status != keycard.SubscriptionActive && status != keycard.SubscriptionInactive {
		return keycard.Invalid("status", "must be active or inactive")
	}
	return s.write(ctx, func(t *tx) error {
		t.changed(changeView)
		res, err := t.Exec(ctx, `UPDATE organizations SET subscription_status = ? WHERE id = ?`, status, orgID)
		if err != nil {
			return fmt.Errorf("store: set subscription: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return keycard.Errorf(keycard.ENotFound, "no organisation has that id")
		}
		t.changed(changeAccess)
		return nil
	})
}

// Organization returns an organisation by id.
func (s *Store) Organization(ctx context.Context, id string) (*keycard.Organization, error) {
	if !keycard.ValidText(id) {
		return nil, keycard.NotFound()
	}
	var out *keycard.Organization
	err := s.read(ctx, func(t *tx) error {
		var err error
		out, err = organization(ctx, t, id)
		return err
	})
	return out, err
}

// UserByEmail returns a user by email, in any case.
func (s *Store) UserByEmail(ctx context.Context, email string) (*keycard.User, error) {
	u, _, err := s.userBy(ctx, `email_key = ?`, keycard.NormalizeEmail(email))
	return u, err
}

func (s *Store) userBy(ctx context.Context, where string, arg string) (*keycard.User, string, error) {
	if !keycard.ValidText(arg) {
		return nil, "", keycard.NotFound()
	}
	var u keycard.User
	var hash sql.NullString
	var created int64
	err := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT id, email, name, password_hash, organization_id, created_at FROM users WHERE `+where), arg).
		Scan(&u.ID, &u.Email, &u.Name, &hash, &u.OrganizationID, &created)
	if err != nil {
		return nil, "", notFound(err)
	}
	u.HasPassword = hash.Valid
	u.CreatedAt = fromMicros(created)
	return &u, hash.String, nil
}

// Session is a signed-in user's pair of tokens. The tokens exist only here,
// in the response that hands them out; the store keeps their hashes.
type Session struct {
	Token        string
	RefreshToken string
	ExpiresAt    time.Time
	User         *keycard.User
}

// SignIn checks an email and password and starts a session. A wrong
// password and an unknown email give the same error.
func (s *Store) SignIn(ctx context.Context, email, password string) (*Session, error) {
	u, hash, err := s.userBy(ctx, `email_key = ?`, keycard.NormalizeEmail(email))
	if err != nil && keycard.ErrorCode(err) != keycard.ENotFound {
		return nil, err
	}
	if hash == "" {
		bcrypt.CompareHashAndPassword(dummyHash(s.cost()), []byte(password))
		return nil, &keycard.Error{Code: keycard.EUnauthorized}
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		if err := s.recordSignIn(ctx, u, false); err != nil {
			return nil, err
		}
		return nil, &keycard.Error{Code: keycard.EUnauthorized}
	}
	sess, err := s.startSession(ctx, u)
	if err != nil {
		return nil, err
	}
	return sess, s.recordSignIn(ctx, u, true)
}

func (s *Store) startSession(ctx context.Context, u *keycard.User) (*Session, error) {
	now := s.now()
	sess := &Session{Token: tokens.New(tokens.SessionPrefix), RefreshToken: tokens.New(tokens.RefreshPrefix), ExpiresAt: now.Add(SessionTTL), User: u}
	err := s.write(ctx, func(t *tx) error {
		// Sweep this user's dead sessions while we are here.
		if _, err := t.Exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND refresh_expires_at < ?`, u.ID, micros(now)); err != nil {
			return fmt.Errorf("store: sweep sessions: %w", err)
		}
		_, err := t.Exec(ctx, `INSERT INTO sessions (id, user_id, token_hash, refresh_hash, expires_at, refresh_expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			newID(), u.ID, tokens.Hash(sess.Token), tokens.Hash(sess.RefreshToken), micros(sess.ExpiresAt), micros(now.Add(RefreshTTL)), micros(now))
		if err != nil {
			return fmt.Errorf("store: create session: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

// Refresh exchanges a refresh token for a new session; the old session
// ends.
func (s *Store) Refresh(ctx context.Context, refreshToken string) (*Session, error) {
	unauthorized := &keycard.Error{Code: keycard.EUnauthorized}
	if !tokens.Valid(tokens.RefreshPrefix, refreshToken) {
		return nil, unauthorized
	}
	var userID string
	err := s.write(ctx, func(t *tx) error {
		// One statement finds and ends the session, so that a refresh token
		// raced against itself wins once.
		err := t.QueryRow(ctx, `DELETE FROM sessions WHERE refresh_hash = ? AND refresh_expires_at > ? RETURNING user_id`,
			tokens.Hash(refreshToken), micros(s.now())).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			return unauthorized
		}
		if err != nil {
			return fmt.Errorf("store: end refreshed session: %w", err)
		}
		t.changed(changeAccess) // the old access token is cached by servers
		return nil
	})
	if err != nil {
		return nil, err
	}
	u, _, err := s.userBy(ctx, `id = ?`, userID)
	if err != nil {
		return nil, err
	}
	return s.startSession(ctx, u)
}

// Credential is what a server caches about a valid token: enough to build
// the principal and check the key's options without touching the database
// again.
type Credential struct {
	Principal keycard.Principal
	// ExpiresAt is when the token stops working: a session's end, a key's
	// expiry, or the end of a rolled key's grace period; zero for never.
	ExpiresAt time.Time
	// Withdrawn is set for an API key that was withdrawn.
	Withdrawn bool
	// Rolled is set when the token is the previous secret of a rolled key.
	Rolled bool
	// AllowIPs is the key's IP allow-list; empty allows any address.
	AllowIPs []netip.Prefix
	// Used reports whether the key was used before it was looked up.
	Used bool
}

const principalColumns = `u.id, u.organization_id, CASE WHEN o.owner_user_id = u.id THEN 1 ELSE 0 END, o.subscription_status`

// SessionCredential looks a session token up by its hash.
func (s *Store) SessionCredential(ctx context.Context, tokenHash string) (*Credential, error) {
	var c Credential
	var owner int
	var status string
	var expires int64
	err := s.read(ctx, func(t *tx) error {
		err := t.QueryRow(ctx, `SELECT `+principalColumns+`, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id JOIN organizations o ON o.id = u.organization_id
		WHERE s.token_hash = ?`, tokenHash).
			Scan(&c.Principal.UserID, &c.Principal.OrganizationID, &owner, &status, &expires)
		if err != nil {
			return notFound(err)
		}
		c.Principal.AllProperties = true
		return loadReach(ctx, t, &c.Principal)
	})
	if err != nil {
		return nil, err
	}
	c.Principal.OrganizationOwner = owner == 1
	c.Principal.SubscriptionActive = status == keycard.SubscriptionActive
	c.ExpiresAt = fromMicros(expires)
	return &c, nil
}

// KeyCredential looks an API key up by its hash, which may be the key's
// current secret or, after a roll, its previous one. The key's
// organisation (whose subscription matters) is the one it was created in.
func (s *Store) KeyCredential(ctx context.Context, keyHash string) (*Credential, error) {
	var c Credential
	var owner int
	var status, keyStatus, allow, current, perms string
	var expires, prevExpires, used sql.NullInt64
	err := s.read(ctx, func(t *tx) error {
		err := t.QueryRow(ctx, `SELECT u.id, k.organization_id, CASE WHEN o.owner_user_id = u.id THEN 1 ELSE 0 END, o.subscription_status,
			k.id, k.access_all_properties, k.status, k.permissions, k.expires_at, k.ip_allowlist, k.key_hash, k.previous_expires_at, k.last_used_at
		FROM api_keys k JOIN users u ON u.id = k.user_id JOIN organizations o ON o.id = k.organization_id
		WHERE k.key_hash = ? OR k.previous_key_hash = ?`, keyHash, keyHash).
			Scan(&c.Principal.UserID, &c.Principal.OrganizationID, &owner, &status, &c.Principal.APIKeyID, &c.Principal.AllProperties,
				&keyStatus, &perms, &expires, &allow, &current, &prevExpires, &used)
		if err != nil {
			return notFound(err)
		}
		c.Principal.GateSubscriptions = s.gateSubscriptions
		return loadReach(ctx, t, &c.Principal)
	})
	if err != nil {
		return nil, err
	}
	c.Principal.OrganizationOwner = owner == 1
	c.Principal.SubscriptionActive = status == keycard.SubscriptionActive
	c.Withdrawn = keyStatus == keycard.KeyWithdrawn
	c.Used = used.Valid
	if expires.Valid {
		c.ExpiresAt = fromMicros(expires.Int64)
	}
	// The hashes are compared in constant time, like every secret.
	if subtle.ConstantTimeCompare([]byte(current), []byte(keyHash)) != 1 {
		c.Rolled = true
		end := time.Unix(0, 0).UTC() // a previous secret without a grace period is over
		if prevExpires.Valid {
			end = fromMicros(prevExpires.Int64)
		}
		if c.ExpiresAt.IsZero() || end.Before(c.ExpiresAt) {
			c.ExpiresAt = end
		}
	}
	_, c.AllowIPs, _ = keycard.ParseIPAllowlist(splitList(allow))
	// A stored family this server does not know (written by a newer one)
	// is dropped: permissions only narrow.
	c.Principal.Permissions = keycard.StoredPermissions(perms)
	return &c, nil
}

// SetSubscriptionGate turns the production gate on keys on or off: with
// it on, a key reaches no property of an organisation without an active
// subscription, whoever made the key. Servers in production mode set it
// before they serve.
func (s *Store) SetSubscriptionGate(on bool) { s.gateSubscriptions = on }

// UserPrincipal returns the principal of a signed-in user, for callers
// inside the process (the demo seed, the web UI).
func (s *Store) UserPrincipal(ctx context.Context, userID string) (*keycard.Principal, error) {
	var p keycard.Principal
	var owner int
	var status string
	err := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT `+principalColumns+`
		FROM users u JOIN organizations o ON o.id = u.organization_id WHERE u.id = ?`), userID).
		Scan(&p.UserID, &p.OrganizationID, &owner, &status)
	if err != nil {
		return nil, notFound(err)
	}
	p.OrganizationOwner = owner == 1
	p.SubscriptionActive = status == keycard.SubscriptionActive
	p.AllProperties = true
	return &p, nil
}
