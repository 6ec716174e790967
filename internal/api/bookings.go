package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"

	"github.com/keycard/keycard/internal/keycard"
)

// bookingRoutes registers bookings, their revisions and the feed, and
// tasks. Bookings enter through the Booking CRS routes (POST and PUT
// /bookings, POST /bookings/push); every change is a revision.
func (s *Server) bookingRoutes(mux *routeMux) {
	mux.Handle("GET /api/v1/bookings", s.reads(keycard.FamilyBookings, s.listBookings))
	mux.Handle("POST /api/v1/bookings", s.writes(keycard.FamilyBookings, s.createBooking))
	mux.Handle("POST /api/v1/bookings/push", s.writes(keycard.FamilyBookings, s.pushBooking))
	mux.Handle("GET /api/v1/bookings/{id}", s.reads(keycard.FamilyBookings, s.getBooking))
	mux.Handle("PUT /api/v1/bookings/{id}", s.writes(keycard.FamilyBookings, s.updateBooking))
	mux.Handle("POST /api/v1/bookings/{id}/no_show", s.writes(keycard.FamilyBookings, s.reportBooking(keycard.ReportNoShow)))
	mux.Handle("POST /api/v1/bookings/{id}/invalid_card", s.writes(keycard.FamilyBookings, s.reportBooking(keycard.ReportInvalidCard)))
	mux.Handle("POST /api/v1/bookings/{id}/cancel_due_invalid_card", s.writes(keycard.FamilyBookings, s.reportBooking(keycard.ReportCancelDueInvalidCard)))

	mux.Handle("GET /api/v1/booking_revisions", s.reads(keycard.FamilyBookings, s.listRevisions(false)))
	mux.Handle("GET /api/v1/booking_revisions/feed", s.reads(keycard.FamilyBookings, s.listRevisions(true)))
	mux.Handle("GET /api/v1/booking_revisions/{id}", s.reads(keycard.FamilyBookings, s.getRevision))
	mux.Handle("POST /api/v1/booking_revisions/{id}/ack", s.writes(keycard.FamilyBookings, s.ackRevision))

	// A task reports an ARI write or a booking's move of availability: a
	// key that may read any of the three reads them.
	tasks := keycard.Needs(keycard.LevelRead, keycard.FamilyAvailability, keycard.FamilyRestrictions, keycard.FamilyBookings)
	mux.Handle("GET /api/v1/tasks", s.needs(tasks, s.listTasks))
	mux.Handle("GET /api/v1/tasks/{id}", s.needs(tasks, s.getTask))
}

func (s *Server) listBookings(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r)
	if err != nil {
		return err
	}
	list, total, err := s.store.ListBookings(r.Context(), principal(r), q)
	if err != nil {
		return err
	}
	items := make([]resource, 0, len(list))
	for _, b := range list {
		items = append(items, bookingResource(b, principal(r)))
	}
	if err := s.relate(r, items...); err != nil {
		return err
	}
	return writeList(w, items, total, q)
}

// getBooking is GET /bookings/:id; ?relationships=all is accepted (the
// booking's relationships are always given).
func (s *Server) getBooking(w http.ResponseWriter, r *http.Request) error {
	b, err := s.store.Booking(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, bookingResource(b, principal(r)))
}

// createBooking is POST /bookings: {"booking": {...}} makes a new booking.
func (s *Server) createBooking(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "booking")
	if err != nil {
		return err
	}
	bw := bookingWrite(f, keycard.StatusNew)
	b, err := s.store.SaveBooking(r.Context(), principal(r), bw)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusCreated, bookingResource(b, principal(r)))
}

// updateBooking is PUT /bookings/:id: the fields given replace the
// booking's (rooms as a whole); "status": "cancelled" cancels it.
func (s *Server) updateBooking(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "booking")
	if err != nil {
		return err
	}
	bw := bookingWrite(f, keycard.StatusModified)
	bw.BookingID = r.PathValue("id")
	b, err := s.store.SaveBooking(r.Context(), principal(r), bw)
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, bookingResource(b, principal(r)))
}

// pushBooking is POST /bookings/push, the Booking CRS push: the booking
// is named by its OTA name and reservation code (reservation_id), and
// status says whether it is new, modified or cancelled.
func (s *Server) pushBooking(w http.ResponseWriter, r *http.Request) error {
	f, err := decodeEnvelope(r, "booking")
	if err != nil {
		return err
	}
	bw := bookingWrite(f, keycard.StatusNew)
	bw.Push = true
	b, err := s.store.SaveBooking(r.Context(), principal(r), bw)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if b.Status == keycard.StatusNew {
		status = http.StatusCreated
	}
	return writeData(w, status, resource{Type: "booking", ID: b.ID, Attributes: map[string]any{
		"id": b.ID, "meta": rawObject(b.Meta), "ota_reservation_code": b.OTAReservationCode, "revision_id": b.RevisionID,
		"status": b.Status, "system_id": b.SystemID, "unique_id": b.UniqueID,
	}})
}

// reportBooking records a no-show, invalid-card or cancel-due-to-invalid-
// card report. No-show takes {"no_show_report": {"waived_fees": bool,
// "penalty_amount": "10.00"}}; the other two take no body.
func (s *Server) reportBooking(kind string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var body json.RawMessage
		if kind == keycard.ReportNoShow {
			f, err := decodeEnvelope(r, "no_show_report")
			if err != nil {
				return err
			}
			var waived bool
			f.boolean("waived_fees", &waived)
			report := map[string]any{"waived_fees": waived}
			if raw := f.raw("penalty_amount"); raw != nil && !isNull(raw) {
				if v, msg := keycard.ParseMoney(raw, "CLF"); msg != "" {
					f.errs.Add("penalty_amount", msg)
				} else if v < 0 {
					f.errs.Add("penalty_amount", "must be greater than or equal to 0")
				} else {
					report["penalty_amount"] = raw
				}
			}
			if err := f.errs.Err(); err != nil {
				return err
			}
			body, _ = json.Marshal(report)
		} else if err := emptyBody(r); err != nil {
			return err
		}
		if err := s.store.ReportBooking(r.Context(), principal(r), r.PathValue("id"), kind, body); err != nil {
			return err
		}
		return writeSuccess(w)
	}
}

// emptyBody accepts no body, or a JSON object (which is ignored), as
// clients send for ack and the card reports.
func emptyBody(r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return err
		}
		return keycard.Errorf(keycard.EBadRequest, "the request body could not be read")
	}
	body = bytes.TrimSpace(body)
	var v map[string]json.RawMessage
	if len(body) > 0 && (body[0] != '{' || json.Unmarshal(body, &v) != nil) {
		return keycard.Errorf(keycard.EBadRequest, "the request body must be empty or a JSON object")
	}
	return nil
}

func (s *Server) listRevisions(feed bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := listQuery(r)
		if err != nil {
			return err
		}
		if feed {
			// The feed's order is its own: oldest first, as written, which
			// order[inserted_at]=asc asks for. The store refuses any other
			// order on a field of the feed.
			q.Order = slices.DeleteFunc(q.Order, func(o keycard.Order) bool { return o.Field == "inserted_at" && !o.Desc })
		}
		build := func(w http.ResponseWriter) error {
			list, total, err := s.store.ListBookingRevisions(r.Context(), principal(r), q, feed)
			if err != nil {
				return err
			}
			items := make([]resource, 0, len(list))
			for _, b := range list {
				items = append(items, revisionResource(b, principal(r)))
			}
			if err := s.relate(r, items...); err != nil {
				return err
			}
			return writeList(w, items, total, q)
		}
		if !feed {
			return build(w)
		}
		// The feed is what a PMS polls all day, mostly to hear that
		// nothing is new.
		return s.cached(w, r, s.store.FeedVersion(principal(r)), build)
	}
}

func (s *Server) getRevision(w http.ResponseWriter, r *http.Request) error {
	b, err := s.store.BookingRevision(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.writeRelated(w, r, http.StatusOK, revisionResource(b, principal(r)))
}

// ackRevision is POST /booking_revisions/:id/ack, with no body or {}.
func (s *Server) ackRevision(w http.ResponseWriter, r *http.Request) error {
	if err := emptyBody(r); err != nil {
		return err
	}
	if err := s.store.AckRevision(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	return writeSuccess(w)
}
