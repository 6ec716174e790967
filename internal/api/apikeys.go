package api

import (
	"net/http"

	"github.com/keycard/keycard/internal/keycard"
	"github.com/keycard/keycard/internal/store"
)

type apiKeyAttributes struct {
	ID                  string   `json:"id"`
	Name                string   `json:"name"`
	AccessAllProperties bool     `json:"access_all_properties"`
	PropertyIDs         []string `json:"property_ids"`
	Status              string   `json:"status"`
	KeyHint             string   `json:"key_hint"`
	UserID              string   `json:"user_id"`
	UserEmail           string   `json:"user_email"`
	CreatedAt           string   `json:"created_at"`
	LastUsedAt          *string  `json:"last_used_at"`
	WithdrawnAt         *string  `json:"withdrawn_at"`
	// Key is the secret, present only in the response that creates it.
	Key string `json:"key,omitempty"`
}

func apiKeyResource(k *keycard.APIKey, secret string) resource {
	ids := k.PropertyIDs
	if ids == nil {
		ids = []string{}
	}
	return resource{Type: "api_key", ID: k.ID, Attributes: apiKeyAttributes{
		ID: k.ID, Name: k.Name, AccessAllProperties: k.AccessAllProperties, PropertyIDs: ids, Status: k.Status,
		KeyHint: k.Hint, UserID: k.UserID, UserEmail: k.UserEmail, CreatedAt: timestamp(k.CreatedAt), LastUsedAt: timestampPtr(k.LastUsedAt),
		WithdrawnAt: timestampPtr(k.WithdrawnAt), Key: secret,
	}}
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	keys, total, err := s.store.ListAPIKeys(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(keys))
	for _, k := range keys {
		items = append(items, apiKeyResource(k, ""))
	}
	return writeList(w, items, total, q)
}

func (s *Server) getAPIKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.store.APIKey(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, apiKeyResource(k, ""))
}

// createAPIKey is POST /api/v1/api_keys. The response is the only place
// the key ever appears; it is marked not to be stored by caches.
func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "api_key")
	if err != nil {
		return err
	}
	var name string
	var ids []string
	f.str("name", &name)
	f.stringList("property_ids", &ids)
	// Without the flag, a key is for all properties unless some are
	// selected.
	all := len(ids) == 0
	f.boolean("access_all_properties", &all)
	if err := f.errs.Err(); err != nil {
		return err
	}
	k, secret, err := s.store.CreateAPIKey(r.Context(), principal(r), name, all, ids)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeData(w, http.StatusCreated, apiKeyResource(k, secret))
}

// updateAPIKey is PUT /api/v1/api_keys/:id: the name and the property
// selection can change; the secret never does.
func (s *Server) updateAPIKey(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "api_key")
	if err != nil {
		return err
	}
	var c store.APIKeyChange
	c.Name = f.strPtr("name")
	var all bool
	if f.boolean("access_all_properties", &all) {
		c.AccessAllProperties = &all
	}
	var ids []string
	if f.stringList("property_ids", &ids) {
		c.PropertyIDs = ids
	}
	if err := f.errs.Err(); err != nil {
		return err
	}
	k, err := s.store.UpdateAPIKey(r.Context(), principal(r), r.PathValue("id"), c)
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, apiKeyResource(k, ""))
}

func (s *Server) withdrawAPIKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.store.WithdrawAPIKey(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeData(w, http.StatusOK, apiKeyResource(k, ""))
}
