package web

import (
	"net/http"
	"net/url"

	"github.com/keycard/keycard/internal/keycard"
)

// Keys from outside are the keys of other organisations' users whom the
// organisation invited to some of its properties. Its billing owner sees
// them on the Organisation page and may block one for the organisation's
// properties, or refuse them all in the organisation's settings; only
// their own organisation withdraws, rolls or changes them.

// Labels of the settings form's checkboxes.
const labelAllowExternal = "Allow keys from other organisations"

// ownKey returns the key of the request's path when the viewer may manage
// it: a key from outside, which the viewer only sees, is answered as one
// that does not exist, as the store answers its withdrawal.
func (s *Server) ownKey(r *http.Request) (*keycard.APIKey, error) {
	k, err := s.store.APIKey(r.Context(), keycard.PrincipalFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if k.External {
		return nil, keycard.NotFound()
	}
	return k, nil
}

// blockView is the confirmation page of a block or an unblock.
type blockView struct {
	Key   keyRow
	Block bool
}

// blockAPIKeyPage asks for confirmation of a block (or, with block false,
// an unblock) when the script that opens the dialog in place did not run.
func (s *Server) blockAPIKeyPage(block bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx, p := r.Context(), keycard.PrincipalFrom(r.Context())
		k, err := s.store.APIKey(ctx, p, r.PathValue("id"))
		if err != nil {
			return err
		}
		if !k.External {
			return keycard.NotFound()
		}
		options, err := s.store.PropertyOptions(ctx, p)
		if err != nil {
			return err
		}
		titles := make(map[string]string, len(options))
		for _, o := range options {
			titles[o.ID] = o.Title
		}
		row := outsideRow(k, titles, p.OrganizationID)
		title := "Block API key"
		if !block {
			title = "Unblock API key"
		}
		return s.render(w, r, http.StatusOK, "api_key_block", page{Title: title, Nav: "keys", Data: &blockView{Key: row, Block: block}})
	}
}

// blockAPIKey blocks (or unblocks) a key from outside for the
// organisation's properties.
func (s *Server) blockAPIKey(block bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		k, err := s.store.BlockAPIKey(r.Context(), keycard.PrincipalFrom(r.Context()), r.PathValue("id"), block)
		if err != nil {
			return err
		}
		param := "blocked"
		if !block {
			param = "unblocked"
		}
		http.Redirect(w, r, pathAPIKeys+"?"+param+"="+url.QueryEscape(k.ID)+"#outside-keys", http.StatusSeeOther)
		return nil
	}
}

// saveOrgSettings saves the organisation's settings. The store lets only
// its billing owner, and the page shows the form to no one else.
func (s *Server) saveOrgSettings(w http.ResponseWriter, r *http.Request) error {
	fe := keycard.FieldErrors{}
	allow := checkbox(r.PostForm, "allow_external_keys", labelAllowExternal, fe)
	if err := fe.Err(); err != nil {
		return err
	}
	if _, err := s.store.SetAllowExternalKeys(r.Context(), keycard.PrincipalFrom(r.Context()), allow); err != nil {
		return err
	}
	http.Redirect(w, r, pathAPIKeys+"?settings=saved#org-settings", http.StatusSeeOther)
	return nil
}
