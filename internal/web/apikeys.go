package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

// Labels of the key form's checkboxes.
const (
	labelAll      = "Access to all properties"
	labelReadOnly = "Read-only"
)

// keysPerPage is the length of a page of the API key list.
const keysPerPage = 50

// keysView is the content of the Organisation page's API Keys section.
type keysView struct {
	Keys  []keyRow
	Pager pager
	// Form is the create form, when it is open.
	Form *keyForm
	// Created is the key just created, shown in this response only.
	Created *createdKey
	// Notice confirms what the previous request did.
	Notice string
	// Gate, when set, replaces the section: the user may not manage keys.
	Gate *gateView
	// ViewerID is the signed-in user: the billing owner also sees other
	// users' keys, marked with who made them.
	ViewerID string
	// ShowMaker reports whether the list has a "Created by" column: some
	// key of it was made by someone other than the viewer.
	ShowMaker bool
	// Filter is the status the list shows: all (the default), active,
	// expired or withdrawn.
	Filter  string
	Filters []string
	// Expiring names the active keys that expire within 7 days.
	Expiring []string
	// Rolled, after a roll, says until when the old secret works (nil: it
	// stopped at once).
	Rolled *rolledKey
	// Outside are, for the billing owner, the keys of other organisations'
	// users that reach some of the organisation's properties: seen, and
	// blocked or unblocked, but not managed here.
	Outside      []keyRow
	OutsidePager pager
	// SettingsNotice confirms a change of the organisation's settings.
	SettingsNotice string
	// Leaks are the organisation's keys reported leaked whose banner the
	// owner has not dismissed.
	Leaks []keycard.LeakedKey
}

// rolledKey is what the page says of a roll.
type rolledKey struct {
	OldUntil *time.Time
}

// keyRow is one key of the list.
type keyRow struct {
	*keycard.APIKey
	// PropertyTitles are the titles of a restricted key's properties that
	// the viewer sees; Unseen counts the others.
	PropertyTitles []string
	Unseen         int
	// ExpiresSoon marks an active key that expires within 7 days.
	ExpiresSoon bool
	// Block is, for a key from outside, the viewer's organisation's block
	// of it; nil when it is not blocked.
	Block *keycard.KeyBlock
	// Spark draws the key's requests and errors of the last 7 days.
	Spark template.HTML
}

// createdKey is a new key with its secret, which exists nowhere else.
type createdKey struct {
	Name   string
	Secret string
}

// keyForm is the create form, or the edit form when Key is set.
type keyForm struct {
	Key      *keycard.APIKey
	Name     string
	All      bool
	Selected map[string]bool
	Options  []*keycard.Property
	Errors   keycard.FieldErrors
	// Other are the messages that belong to no field of the form.
	Other []string
	// Nonce names this one create form, so that sending it twice (a reload
	// of the shown-once page without JavaScript) makes no second key.
	Nonce string
	// ExpiresIn is the expiry choice: "" (never), a number of days, or
	// "keep" (the edit form's default).
	ExpiresIn   string
	IPAllowlist string
	// Perms are the permissions shown; Preset is the preset chosen, or
	// "custom" for the grid.
	Perms  keycard.Permissions
	Preset string
}

// gateView says which condition for managing API keys the user misses.
type gateView struct {
	NotOwner bool
	Inactive bool
}

// pager links the pages of a list.
type pager struct {
	Page, Pages int
	Prev, Next  string
}

func newPager(base string, page, total, limit int) pager {
	return paramPager(base, "page", page, total, limit)
}

// paramPager links the pages of a list whose page number is the query
// parameter param (a page with two lists pages each apart).
func paramPager(base, param string, page, total, limit int) pager {
	p := pager{Page: page, Pages: max(1, (total+limit-1)/limit)}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	if page > 1 {
		p.Prev = base + sep + param + "=" + strconv.Itoa(min(page-1, p.Pages))
	}
	if page < p.Pages {
		p.Next = base + sep + param + "=" + strconv.Itoa(page+1)
	}
	return p
}

// pageNumber reads the page parameter; anything but a sensible page number
// is the first page.
func pageNumber(r *http.Request) int { return pageParam(r, "page") }

// pageParam reads a page number from the query parameter name.
func pageParam(r *http.Request, name string) int {
	n, err := strconv.Atoi(r.URL.Query().Get(name))
	if err != nil || n < 1 || n > 100_000 {
		return 1
	}
	return n
}

// outsidePageParam is the page number of the list of keys from outside.
const outsidePageParam = "outside_page"

// keyGate lets through only users allowed to manage API keys. The others
// see the section replaced by the conditions they miss, read from the
// principal of this very request: a subscription activated meanwhile shows
// the section on the next page load.
func (s *Server) keyGate(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := keycard.PrincipalFrom(r.Context())
		err := keycard.CanManageAPIKeys(s.mode, p)
		if err == nil {
			return h(w, r)
		}
		g := &gateView{NotOwner: !p.OrganizationOwner, Inactive: !p.SubscriptionActive}
		if !g.NotOwner && !g.Inactive {
			// A condition this page does not know: its error says it.
			return err
		}
		return s.render(w, r, http.StatusForbidden, "api_keys", page{Title: "API Keys", Nav: "keys", Data: &keysView{Gate: g}})
	}
}

// keyFilters are the statuses the key list filters by; the first, all, is
// the default: a withdrawn key stays listed, marked, below the live ones.
var keyFilters = []string{keyFilterAll, keycard.KeyActive, keycard.KeyExpired, keycard.KeyWithdrawn}

const keyFilterAll = "all"

// keyOrder lists live keys first: statuses sort active, expired,
// withdrawn; newest first within each.
var keyOrder = []keycard.Order{{Field: "status"}, {Field: "created_at", Desc: true}}

// keysView loads the list of keys and the viewer's properties, whose
// titles name a restricted key's selection. The organisation's own keys
// and, for its billing owner, the keys from outside are two lists, paged
// apart and filtered by the same status.
func (s *Server) keysView(r *http.Request) (*keysView, []*keycard.Property, error) {
	ctx, p := r.Context(), keycard.PrincipalFrom(r.Context())
	options, err := s.store.PropertyOptions(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	n, outsideN := pageNumber(r), pageParam(r, outsidePageParam)
	filter := r.URL.Query().Get("status")
	if !slices.Contains(keyFilters, filter) {
		filter = keyFilterAll
	}
	var status []keycard.Filter
	base := pathAPIKeys
	if filter != keyFilterAll {
		status = []keycard.Filter{{Field: "status", Op: keycard.OpEq, Values: []string{filter}}}
		base += "?status=" + filter
	}
	list := func(op string, page int) ([]*keycard.APIKey, int, error) {
		q := keycard.ListQuery{Page: page, Limit: keysPerPage, Order: keyOrder,
			Filters: append([]keycard.Filter{{Field: "organization_id", Op: op, Values: []string{p.OrganizationID}}}, status...)}
		return s.store.ListAPIKeys(ctx, p, q)
	}
	keys, total, err := list(keycard.OpEq, n)
	if err != nil {
		return nil, nil, err
	}
	titles := make(map[string]string, len(options))
	for _, o := range options {
		titles[o.ID] = o.Title
	}
	// Each list's pager keeps the other list on its page.
	withPage := func(param string, page int) string {
		if page == 1 {
			return base
		}
		if strings.Contains(base, "?") {
			return base + "&" + param + "=" + strconv.Itoa(page)
		}
		return base + "?" + param + "=" + strconv.Itoa(page)
	}
	v := &keysView{Pager: newPager(withPage(outsidePageParam, outsideN), n, total, keysPerPage), ViewerID: p.UserID, Filter: filter, Filters: keyFilters}
	now := time.Now()
	for _, k := range keys {
		row := keyRow{APIKey: k}
		v.ShowMaker = v.ShowMaker || k.UserID != p.UserID
		if k.Status == keycard.KeyActive && k.ExpiresAt != nil && k.ExpiresAt.Sub(now) < 7*24*time.Hour {
			row.ExpiresSoon = true
			v.Expiring = append(v.Expiring, k.Name)
		}
		for _, id := range k.PropertyIDs {
			if t, ok := titles[id]; ok {
				row.PropertyTitles = append(row.PropertyTitles, t)
			} else {
				row.Unseen++
			}
		}
		v.Keys = append(v.Keys, row)
	}
	if err := s.addSparklines(r, v.Keys); err != nil {
		return nil, nil, err
	}
	if v.Leaks, err = s.store.LeakedKeys(ctx, p); err != nil {
		return nil, nil, err
	}
	if !p.OrganizationOwner {
		// Only the billing owner sees keys from outside.
		return v, options, nil
	}
	outside, outsideTotal, err := list(keycard.OpNot, outsideN)
	if err != nil {
		return nil, nil, err
	}
	v.OutsidePager = paramPager(withPage("page", n), outsidePageParam, outsideN, outsideTotal, keysPerPage)
	for _, k := range outside {
		v.Outside = append(v.Outside, outsideRow(k, titles, p.OrganizationID))
	}
	return v, options, nil
}

// outsideRow is a key from outside as the organisation orgID sees it: the
// titles of its properties that the key reaches (its billing owner reaches
// them all), and its block of the key.
func outsideRow(k *keycard.APIKey, titles map[string]string, orgID string) keyRow {
	row := keyRow{APIKey: k}
	for _, id := range k.OrganizationPropertyIDs {
		if t, ok := titles[id]; ok {
			row.PropertyTitles = append(row.PropertyTitles, t)
		}
	}
	for i := range k.Blocks {
		if k.Blocks[i].OrganizationID == orgID {
			row.Block = &k.Blocks[i]
		}
	}
	return row
}

func (s *Server) renderKeys(w http.ResponseWriter, r *http.Request, status int, v *keysView) error {
	return s.render(w, r, status, "api_keys", page{Title: "API Keys", Nav: "keys", Data: v})
}

func (s *Server) apiKeysPage(w http.ResponseWriter, r *http.Request) error {
	v, _, err := s.keysView(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	for _, n := range []struct{ param, format string }{
		{"withdrawn", "API key “%s” was withdrawn: every request with it is now refused."},
		{"updated", "API key “%s” was saved: the change applies to its next request."},
		{"blocked", "API key “%s” is blocked: every request it makes to your organisation's properties is now refused."},
		{"unblocked", "API key “%s” is unblocked: it reaches your organisation's properties again, as far as its user's access goes."},
		{"dismissed", "The leak warning for API key “%s” was dismissed."},
	} {
		id := q.Get(n.param)
		if id == "" {
			continue
		}
		k, err := s.store.APIKey(r.Context(), keycard.PrincipalFrom(r.Context()), id)
		if keycard.ErrorCode(err) == keycard.ENotFound {
			continue
		}
		if err != nil {
			return err
		}
		v.Notice = fmt.Sprintf(n.format, k.Name)
	}
	if q.Get("settings") == "saved" {
		v.SettingsNotice = "The settings were saved: they apply to the very next request."
	}
	return s.renderKeys(w, r, http.StatusOK, v)
}

func (s *Server) newAPIKeyPage(w http.ResponseWriter, r *http.Request) error {
	v, options, err := s.keysView(r)
	if err != nil {
		return err
	}
	v.Form = &keyForm{All: true, Selected: map[string]bool{}, Options: options, Nonce: newNonce()}
	v.Form.setPerms(keycard.PresetFull.Permissions)
	return s.renderKeys(w, r, http.StatusOK, v)
}

// createAPIKey creates a key and shows it in this response, the only one
// that will ever hold it: the page is not redirected to (which would need
// the key stored somewhere to show it) and is marked not to be stored.
func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	nonce := r.PostForm.Get(nonceField)
	if formAlreadySent(r, nonce) {
		v, _, err := s.keysView(r)
		if err != nil {
			return err
		}
		v.Notice = "This form was already sent: its key was created and shown once, and is in the list below. To get another key, create a new one."
		return s.renderKeys(w, r, http.StatusOK, v)
	}
	fe := keycard.FieldErrors{}
	name := r.PostForm.Get("name")
	all := checkbox(r.PostForm, "access_all_properties", labelAll, fe)
	readOnly := checkbox(r.PostForm, "read_only", labelReadOnly, fe)
	perms, choice := formPermissions(r.PostForm, fe)
	ids := r.PostForm["property_ids"]
	expiresIn, allowText := r.PostForm.Get("expires_in"), r.PostForm.Get("ip_allowlist")
	expires := expiryChoice(expiresIn, fe)
	allowlistErrors(allowText, fe)
	err := fe.Err()
	var k *keycard.APIKey
	var secret string
	if err == nil {
		nk := store.NewAPIKey{Name: name, AccessAllProperties: all, PropertyIDs: ids, ReadOnly: readOnly, Permissions: perms,
			IPAllowlist: splitAllowlist(allowText)}
		if expires != nil && !expires.IsZero() {
			nk.ExpiresAt = expires
		}
		k, secret, err = s.store.CreateKey(r.Context(), keycard.PrincipalFrom(r.Context()), nk)
	}
	if err != nil && keycard.ErrorCode(err) != keycard.EInvalid {
		return err
	}
	v, options, lerr := s.keysView(r)
	if lerr != nil {
		return lerr
	}
	if err != nil {
		v.Form = &keyForm{Name: name, All: all, Selected: selected(ids), Options: options, Nonce: nonce,
			ExpiresIn: expiresIn, IPAllowlist: allowText}
		v.Form.showPerms(perms, choice, readOnly)
		v.Form.setErrors(err, "name", "property_ids", "expires_at", "ip_allowlist", "permissions")
		return s.renderKeys(w, r, http.StatusUnprocessableEntity, v)
	}
	rememberFormSent(w, r, nonce)
	v.Created = &createdKey{Name: k.Name, Secret: secret}
	return s.renderKeys(w, r, http.StatusCreated, v)
}

func (s *Server) editAPIKeyPage(w http.ResponseWriter, r *http.Request) error {
	p := keycard.PrincipalFrom(r.Context())
	k, err := s.ownKey(r)
	if err != nil {
		return err
	}
	if k.Status == keycard.KeyWithdrawn {
		return keycard.Errorf(keycard.EInvalid, "a withdrawn key cannot be changed")
	}
	options, err := s.store.PropertyOptions(r.Context(), p)
	if err != nil {
		return err
	}
	f := &keyForm{Key: k, Name: k.Name, All: k.AccessAllProperties, Selected: selected(k.PropertyIDs), Options: options,
		ExpiresIn: "keep", IPAllowlist: strings.Join(k.IPAllowlist, "\n")}
	f.setPerms(k.Permissions)
	return s.render(w, r, http.StatusOK, "api_key_edit", page{Title: "Edit API key", Nav: "keys", Data: f})
}

// updateAPIKey saves a key's name, property selection and options.
func (s *Server) updateAPIKey(w http.ResponseWriter, r *http.Request) error {
	ctx, p, id := r.Context(), keycard.PrincipalFrom(r.Context()), r.PathValue("id")
	fe := keycard.FieldErrors{}
	all := checkbox(r.PostForm, "access_all_properties", labelAll, fe)
	readOnly := checkbox(r.PostForm, "read_only", labelReadOnly, fe)
	perms, choice := formPermissions(r.PostForm, fe)
	// Non-nil: no property ticked replaces the selection with none, which
	// the store refuses for a restricted key.
	ids := append([]string{}, r.PostForm["property_ids"]...)
	name, expiresIn, allowText := r.PostForm.Get("name"), r.PostForm.Get("expires_in"), r.PostForm.Get("ip_allowlist")
	// A field the form did not send stays as it is.
	c := store.APIKeyChange{AccessAllProperties: &all, PropertyIDs: ids, Permissions: perms}
	if _, ok := r.PostForm["read_only"]; ok && perms == nil {
		c.ReadOnly = &readOnly // a form of before permissions
	}
	if _, ok := r.PostForm["name"]; ok {
		c.Name = &name
	}
	if _, ok := r.PostForm["ip_allowlist"]; ok {
		c.IPAllowlist = append([]string{}, splitAllowlist(allowText)...)
	}
	if _, ok := r.PostForm["expires_in"]; ok && expiresIn != "keep" {
		c.ExpiresAt = expiryChoice(expiresIn, fe)
	} else {
		expiresIn = "keep"
	}
	allowlistErrors(allowText, fe)
	err := fe.Err()
	if err == nil {
		_, err = s.store.UpdateAPIKey(ctx, p, id, c)
	}
	if err == nil {
		http.Redirect(w, r, pathAPIKeys+"?updated="+url.QueryEscape(id), http.StatusSeeOther)
		return nil
	}
	if keycard.ErrorCode(err) != keycard.EInvalid {
		return err
	}
	k, kerr := s.store.APIKey(ctx, p, id)
	if kerr != nil {
		return kerr
	}
	options, oerr := s.store.PropertyOptions(ctx, p)
	if oerr != nil {
		return oerr
	}
	f := &keyForm{Key: k, Name: name, All: all, Selected: selected(ids), Options: options, ExpiresIn: expiresIn, IPAllowlist: allowText}
	f.setPerms(k.Permissions)
	f.showPerms(perms, choice, false)
	f.setErrors(err, "name", "property_ids", "expires_at", "ip_allowlist", "permissions")
	return s.render(w, r, http.StatusUnprocessableEntity, "api_key_edit", page{Title: "Edit API key", Nav: "keys", Data: f})
}

// withdrawAPIKeyPage asks for confirmation when the script that opens the
// confirmation dialog in place did not run.
func (s *Server) withdrawAPIKeyPage(w http.ResponseWriter, r *http.Request) error {
	k, err := s.ownKey(r)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "api_key_withdraw", page{Title: "Withdraw API key", Nav: "keys", Data: k})
}

func (s *Server) withdrawAPIKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.store.WithdrawAPIKey(r.Context(), keycard.PrincipalFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	// The list shows every key, so that the withdrawn one is seen marked.
	http.Redirect(w, r, pathAPIKeys+"?withdrawn="+url.QueryEscape(k.ID), http.StatusSeeOther)
	return nil
}

// setErrors shows a validation error's messages next to the form's fields;
// messages for any other field are shown above the form.
func (f *keyForm) setErrors(err error, fields ...string) {
	f.Errors = keycard.FieldErrors{}
	e, ok := errors.AsType[*keycard.Error](err)
	if !ok {
		f.Other = append(f.Other, "The key could not be saved.")
		return
	}
	details, ok := e.Details.(keycard.FieldErrors)
	if !ok {
		f.Other = append(f.Other, detailText(e.Details))
		return
	}
	for field, msgs := range details {
		known := false
		for _, name := range fields {
			known = known || name == field
		}
		for _, m := range msgs {
			if known {
				f.Errors.Add(field, m)
			} else {
				f.Other = append(f.Other, sentence(m))
			}
		}
	}
}

// checkbox reads a checkbox of a form: a browser sends an unticked one not
// at all. A value no checkbox sends is a validation error, whose message
// names the box by its label.
func checkbox(form url.Values, name, label string, fe keycard.FieldErrors) bool {
	switch form.Get(name) {
	case "", "false":
		return false
	case "true", "on":
		return true
	}
	fe.Add(name, "the box “"+label+"” must be ticked or not ticked")
	return false
}

func selected(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range keycard.TrimIDs(ids) {
		m[id] = true
	}
	return m
}
