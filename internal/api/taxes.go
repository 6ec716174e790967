package api

import (
	"encoding/json"
	"net/http"
	"strings"

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
	if len(f.errs) > 0 {
		tx := &keycard.Tax{Logic: keycard.TaxPercent, Type: "tax", Currency: "EUR"}
		applyTax(f, tx)
		return f.errs.Merge(tx.Validate(f.errs))
	}
	out, err := s.store.CreateTax(r.Context(), principal(r), propertyID, func(tx *keycard.Tax) keycard.FieldErrors {
		applyTax(f, tx)
		return f.errs
	})
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
	out, err := s.store.UpdateTax(r.Context(), principal(r), r.PathValue("id"), func(tx *keycard.Tax) keycard.FieldErrors {
		unchangeable(f, "property_id", tx.PropertyID)
		applyTax(f, tx)
		return f.errs
	})
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

// applyTax copies the members present in f onto tx. The logic comes first:
// a percent rate is read as a percent, any other as money.
func applyTax(f *fields, tx *keycard.Tax) {
	f.str("title", &tx.Title)
	tx.Title = strings.TrimSpace(tx.Title)
	for name, dst := range map[string]*string{"logic": &tx.Logic, "type": &tx.Type} {
		if f.has(name) && !isNull(f.raw(name)) {
			f.str(name, dst)
			*dst = strings.TrimSpace(*dst)
		}
	}
	f.boolean("is_inclusive", &tx.IsInclusive)
	if raw := f.raw("rate"); raw != nil {
		var v int64
		var msg string
		if tx.Logic == keycard.TaxPercent {
			v, msg = keycard.ParsePercent(raw)
		} else {
			v, msg = keycard.ParseMoney(raw, tx.Currency)
		}
		if msg != "" {
			f.errs.Add("rate", msg)
		} else {
			tx.Rate = v
		}
	}
	for name, dst := range map[string]**int{"skip_nights": &tx.SkipNights, "max_nights": &tx.MaxNights} {
		if !f.has(name) {
			continue
		}
		if isNull(f.raw(name)) {
			*dst = nil
			continue
		}
		var n int
		if integer(f, name, &n) {
			*dst = &n
		}
	}
	if raw := f.raw("applicable_date_ranges"); raw != nil {
		var in []struct {
			After  *string `json:"after"`
			Before *string `json:"before"`
		}
		if !isNull(raw) && json.Unmarshal(raw, &in) != nil {
			f.errs.Add("applicable_date_ranges", "must be a list of {after, before} date ranges")
			return
		}
		tx.DateRanges = []keycard.DateRange{}
		for _, r := range in {
			var dr keycard.DateRange
			if r.After != nil {
				dr.After = strings.TrimSpace(*r.After)
			}
			if r.Before != nil {
				dr.Before = strings.TrimSpace(*r.Before)
			}
			tx.DateRanges = append(tx.DateRanges, dr)
		}
	}
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
	if len(f.errs) > 0 {
		ts := &keycard.TaxSet{}
		applyTaxSet(f, ts)
		return f.errs.Merge(ts.Validate(f.errs))
	}
	out, err := s.store.CreateTaxSet(r.Context(), principal(r), propertyID, func(ts *keycard.TaxSet) keycard.FieldErrors {
		applyTaxSet(f, ts)
		return f.errs
	})
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
	out, err := s.store.UpdateTaxSet(r.Context(), principal(r), r.PathValue("id"), func(ts *keycard.TaxSet) keycard.FieldErrors {
		unchangeable(f, "property_id", ts.PropertyID)
		applyTaxSet(f, ts)
		return f.errs
	})
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

// applyTaxSet copies the members present in f onto ts; taxes and
// associated_rate_plan_ids, when given, replace the set's.
func applyTaxSet(f *fields, ts *keycard.TaxSet) {
	f.str("title", &ts.Title)
	ts.Title = strings.TrimSpace(ts.Title)
	if f.has("currency") && !isNull(f.raw("currency")) {
		f.str("currency", &ts.Currency)
		ts.Currency = strings.ToUpper(strings.TrimSpace(ts.Currency))
	}
	if f.has("associated_rate_plan_ids") {
		f.stringList("associated_rate_plan_ids", &ts.RatePlanIDs)
		for i, id := range ts.RatePlanIDs {
			ts.RatePlanIDs[i] = strings.ToLower(strings.TrimSpace(id))
		}
	}
	if raw := f.raw("taxes"); raw != nil {
		var in []struct {
			ID    string          `json:"id"`
			Level json.RawMessage `json:"level"`
		}
		if !isNull(raw) && json.Unmarshal(raw, &in) != nil {
			f.errs.Add("taxes", "must be a list of {id, level}")
			return
		}
		ts.Taxes = []keycard.TaxSetTax{}
		for _, t := range in {
			l := keycard.TaxSetTax{ID: strings.ToLower(strings.TrimSpace(t.ID))}
			if len(t.Level) > 0 && !isNull(t.Level) {
				n, ok := wholeNumber(t.Level)
				if !ok {
					f.errs.Add("taxes", "level must be a whole number")
					return
				}
				l.Level = int(n)
			}
			if !keycard.ValidText(l.ID) {
				f.errs.Add("taxes", msgInvalidText)
				return
			}
			ts.Taxes = append(ts.Taxes, l)
		}
	}
}
