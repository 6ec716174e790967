package api

import (
	"encoding/json"
	"net/http"

	"github.com/keycard/keycard/internal/keycard"
)

type dateRangeView struct {
	After  *string `json:"after"`
	Before *string `json:"before"`
}

func taxResource(tx *keycard.Tax) resource {
	rate := keycard.FormatMoney(tx.Rate, tx.Currency)
	if tx.Logic == keycard.TaxPercent {
		rate = keycard.FormatPercent(tx.Rate)
	}
	ranges := make([]dateRangeView, 0, len(tx.DateRanges))
	for _, r := range tx.DateRanges {
		ranges = append(ranges, dateRangeView{After: nullable(r.After), Before: nullable(r.Before)})
	}
	return resource{Type: "tax", ID: tx.ID,
		Attributes: map[string]any{
			"id": tx.ID, "title": tx.Title, "logic": tx.Logic, "type": tx.Type, "rate": rate, "currency": tx.Currency,
			"is_inclusive": tx.IsInclusive, "property_id": tx.PropertyID, "skip_nights": tx.SkipNights, "max_nights": tx.MaxNights,
			"applicable_date_ranges": ranges,
			"created_at":             timestamp(tx.CreatedAt), "updated_at": timestamp(tx.UpdatedAt),
		},
		Relationships: map[string]any{"property": relation{ref{Type: "property", ID: tx.PropertyID}}},
	}
}

func (s *Server) listTaxes(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	list, total, err := s.store.ListTaxes(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(list))
	for _, tx := range list {
		items = append(items, taxResource(tx))
	}
	if err := s.relate(r, items...); err != nil {
		return err
	}
	return writeList(w, items, total, q)
}

func (s *Server) getTax(w http.ResponseWriter, r *http.Request) error {
	tx, err := s.store.Tax(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, taxResource(tx))
}

func (s *Server) createTax(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "tax")
	if err != nil {
		return err
	}
	propertyID := requiredID(f, "property_id")
	for _, name := range []string{"title", "rate"} {
		if !f.has(name) {
			f.errs.Add(name, "can't be blank")
		}
	}
	c := taxChange(f)
	if len(f.errs) > 0 {
		// Report every field at once, before the property is looked up.
		return keycard.NewTax("EUR").Apply(c, f.errs).Err()
	}
	out, err := s.store.CreateTax(r.Context(), principal(r), propertyID, c, f.errs)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusCreated, taxResource(out))
}

func (s *Server) updateTax(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "tax")
	if err != nil {
		return err
	}
	c := taxChange(f)
	c.PropertyID = f.strPtrOrEmpty("property_id")
	out, err := s.store.UpdateTax(r.Context(), principal(r), r.PathValue("id"), c, f.errs)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, taxResource(out))
}

func (s *Server) deleteTax(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteTax(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeSuccess(w)
}

// taxChange decodes a tax body into a change, typed but not judged
// (keycard's Tax.Apply does that), recording type errors in f.errs.
// property_id is left to the caller.
func taxChange(f *fields) *keycard.TaxChange {
	c := &keycard.TaxChange{Title: f.strPtrOrEmpty("title"), Logic: f.strPtrUnlessNull("logic"), Type: f.strPtrUnlessNull("type"),
		IsInclusive: f.boolPtr("is_inclusive"), Rate: f.raw("rate")}
	for _, m := range []struct {
		name string
		sent *bool
		dst  **int
	}{{"skip_nights", &c.SkipNightsSent, &c.SkipNights}, {"max_nights", &c.MaxNightsSent, &c.MaxNights}} {
		if raw := f.raw(m.name); raw != nil {
			if isNull(raw) {
				*m.sent = true // and clears
			} else if n := f.intPtr(m.name); n != nil {
				*m.sent, *m.dst = true, n
			}
		}
	}
	if raw := f.raw("applicable_date_ranges"); raw != nil {
		if !isNull(raw) && json.Unmarshal(raw, &c.DateRanges) != nil {
			f.errs.Add("applicable_date_ranges", "must be a list of {after, before} date ranges")
			c.DateRanges = nil
		} else {
			c.DateRangesSent = true
		}
	}
	return c
}

// taxRefAttributes are the attributes of a tax in a tax set's
// relationships: its level in the set, and its title (see relate).
type taxRefAttributes struct {
	ID    string  `json:"id"`
	Title *string `json:"title"`
	Level int     `json:"level"`
}

func (a *taxRefAttributes) setTitle(title string, ok bool) {
	if ok {
		a.Title = &title
	}
}

func taxSetResource(ts *keycard.TaxSet) resource {
	taxes := make([]ref, 0, len(ts.Taxes))
	for _, l := range ts.Taxes {
		taxes = append(taxes, ref{Type: "tax", ID: l.ID, Attributes: &taxRefAttributes{ID: l.ID, Level: l.Level}})
	}
	plans := make([]ref, 0, len(ts.RatePlanIDs))
	for _, id := range ts.RatePlanIDs {
		plans = append(plans, ref{Type: "rate_plan", ID: id})
	}
	return resource{Type: "tax_set", ID: ts.ID,
		Attributes: map[string]any{
			"id": ts.ID, "title": ts.Title, "currency": ts.Currency, "property_id": ts.PropertyID,
			"taxes": ts.Taxes, "associated_rate_plan_ids": ts.RatePlanIDs,
			"created_at": timestamp(ts.CreatedAt), "updated_at": timestamp(ts.UpdatedAt),
		},
		Relationships: map[string]any{
			"property":   relation{ref{Type: "property", ID: ts.PropertyID}},
			"taxes":      relation{taxes},
			"rate_plans": relation{plans},
		},
	}
}

func (s *Server) listTaxSets(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	list, total, err := s.store.ListTaxSets(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(list))
	for _, ts := range list {
		items = append(items, taxSetResource(ts))
	}
	if err := s.relate(r, items...); err != nil {
		return err
	}
	return writeList(w, items, total, q)
}

func (s *Server) getTaxSet(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.store.TaxSet(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, taxSetResource(ts))
}

func (s *Server) createTaxSet(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "tax_set")
	if err != nil {
		return err
	}
	propertyID := requiredID(f, "property_id")
	if !f.has("title") {
		f.errs.Add("title", "can't be blank")
	}
	c := taxSetChange(f)
	if len(f.errs) > 0 {
		// Report every field at once, before the property is looked up.
		return (&keycard.TaxSet{}).Apply(c, f.errs).Err()
	}
	out, err := s.store.CreateTaxSet(r.Context(), principal(r), propertyID, c, f.errs)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusCreated, taxSetResource(out))
}

func (s *Server) updateTaxSet(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "tax_set")
	if err != nil {
		return err
	}
	c := taxSetChange(f)
	c.PropertyID = f.strPtrOrEmpty("property_id")
	out, err := s.store.UpdateTaxSet(r.Context(), principal(r), r.PathValue("id"), c, f.errs)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, taxSetResource(out))
}

func (s *Server) deleteTaxSet(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.DeleteTaxSet(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeSuccess(w)
}

// taxSetChange decodes a tax set body into a change, typed but not judged
// (keycard's TaxSet.Apply does that), recording type errors in f.errs.
// property_id is left to the caller.
func taxSetChange(f *fields) *keycard.TaxSetChange {
	c := &keycard.TaxSetChange{Title: f.strPtrOrEmpty("title"), Currency: f.strPtrUnlessNull("currency")}
	c.RatePlanIDsSent = f.stringList("associated_rate_plan_ids", &c.RatePlanIDs)
	raw := f.raw("taxes")
	if raw == nil {
		return c
	}
	var in []struct {
		ID    string          `json:"id"`
		Level json.RawMessage `json:"level"`
	}
	if !isNull(raw) && json.Unmarshal(raw, &in) != nil {
		f.errs.Add("taxes", "must be a list of {id, level}")
		return c
	}
	taxes := []keycard.TaxSetTax{}
	for _, t := range in {
		l := keycard.TaxSetTax{ID: t.ID}
		if len(t.Level) > 0 && !isNull(t.Level) {
			n, ok := wholeNumber(t.Level)
			if !ok {
				f.errs.Add("taxes", "level must be a whole number")
				return c
			}
			l.Level = int(n)
		}
		if !keycard.ValidText(l.ID) {
			f.errs.Add("taxes", msgInvalidText)
			return c
		}
		taxes = append(taxes, l)
	}
	c.TaxesSent, c.Taxes = true, taxes
	return c
}
