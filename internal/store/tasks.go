package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/keycard/keycard/internal/keycard"
)

// taskData is how the parts of a task that lists do not filter on are
// kept, in the tasks.data column.
type taskData struct {
	Values      int                   `json:"values"`
	DateFrom    keycard.Date          `json:"date_from"`
	DateTo      keycard.Date          `json:"date_to"`
	RoomTypeIDs []string              `json:"room_type_ids,omitempty"`
	RatePlanIDs []string              `json:"rate_plan_ids,omitempty"`
	BookingID   string                `json:"booking_id,omitempty"`
	RevisionID  string                `json:"revision_id,omitempty"`
	Warnings    []keycard.FieldErrors `json:"warnings,omitempty"`
}

var taskFields = map[string]column{
	"id":          {expr: "k.id"},
	"property_id": {expr: "k.property_id"},
	"type":        {expr: "k.type"},
	"state":       {expr: "k.state"},
	"inserted_at": {expr: "k.inserted_at", kind: kindTime},
	"user_id":     {expr: "k.user_id"},
	"api_key_id":  {expr: "k.api_key_id"},
	// The rest of a task's attributes are kept in its document.
	"values_count":        {refuse: refuseDocument},
	"date_from":           {refuse: refuseDocument},
	"date_to":             {refuse: refuseDocument},
	"booking_id":          {refuse: refuseDocument},
	"booking_revision_id": {refuse: refuseDocument},
}

// writeTask records task, made by p, in t. Tasks older than the
// retention are removed as new ones come, a few at a time, so that no
// write pays for a large backlog.
func (s *Store) writeTask(ctx context.Context, t *tx, p *keycard.Principal, task *keycard.Task) error {
	return s.writeTasks(ctx, t, p, []*keycard.Task{task})
}

// writeTasks is writeTask for each of tasks, in a few statements: it
// removes as many old tasks as they would one by one.
func (s *Store) writeTasks(ctx context.Context, t *tx, p *keycard.Principal, tasks []*keycard.Task) error {
	for _, task := range tasks {
		task.UserID, task.APIKeyID = p.UserID, p.APIKeyID
	}
	return s.insertTasks(ctx, t, tasks)
}

// insertTasks is writeTasks for tasks whose users are set, maybe
// different ones.
func (s *Store) insertTasks(ctx context.Context, t *tx, tasks []*keycard.Task) error {
	if len(tasks) == 0 {
		return nil
	}
	args := make([]any, 0, 8*len(tasks))
	var now time.Time
	for _, task := range tasks {
		now = s.now()
		task.InsertedAt, task.State = now, keycard.TaskCompleted
		data, err := json.Marshal(taskData{Values: task.Values, DateFrom: task.DateFrom, DateTo: task.DateTo, RoomTypeIDs: task.RoomTypeIDs,
			RatePlanIDs: task.RatePlanIDs, BookingID: task.BookingID, RevisionID: task.RevisionID, Warnings: task.Warnings})
		if err != nil {
			return fmt.Errorf("store: encode task: %w", err)
		}
		args = append(args, task.ID, task.PropertyID, task.Type, task.UserID, nullString(task.APIKeyID), task.State, string(data), micros(now))
	}
	err := insertRows(ctx, t, `INSERT INTO tasks (id, property_id, type, user_id, api_key_id, state, data, inserted_at)`, 8, args, "")
	if err != nil {
		return fmt.Errorf("store: write task: %w", err)
	}
	retention := s.taskRetention
	if retention <= 0 {
		retention = keycard.TaskRetention
	}
	_, err = t.Exec(ctx, `DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE inserted_at < ? ORDER BY inserted_at LIMIT `+
		strconv.Itoa(100*len(tasks))+`)`, micros(now.Add(-retention)))
	if err != nil {
		return fmt.Errorf("store: prune tasks: %w", err)
	}
	return nil
}

// SetTaskRetention sets how long tasks are kept (30 days when 0). It must
// be called before the store is shared.
func (s *Store) SetTaskRetention(d time.Duration) { s.taskRetention = d }

const taskColumns = `k.id, k.property_id, k.type, k.user_id, k.api_key_id, k.state, k.data, k.inserted_at`

func scanTask(row scanner) (*keycard.Task, error) {
	var task keycard.Task
	var key sql.NullString
	var data string
	var inserted int64
	if err := row.Scan(&task.ID, &task.PropertyID, &task.Type, &task.UserID, &key, &task.State, &data, &inserted); err != nil {
		return nil, err
	}
	var d taskData
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return nil, fmt.Errorf("store: task %s: %w", task.ID, err)
	}
	task.APIKeyID = key.String
	task.Values, task.DateFrom, task.DateTo = d.Values, d.DateFrom, d.DateTo
	task.RoomTypeIDs, task.RatePlanIDs, task.BookingID, task.RevisionID, task.Warnings = d.RoomTypeIDs, d.RatePlanIDs, d.BookingID, d.RevisionID, d.Warnings
	task.InsertedAt = fromMicros(inserted)
	return &task, nil
}

// Task returns a task of a property p reaches.
func (s *Store) Task(ctx context.Context, p *keycard.Principal, id string) (*keycard.Task, error) {
	if !keycard.ValidID(id) {
		return nil, keycard.NotFound()
	}
	var out *keycard.Task
	err := s.read(ctx, func(t *tx) error {
		r, args := reach(s.dialect, p)
		var err error
		out, err = scanTask(t.QueryRow(ctx, `SELECT `+taskColumns+` FROM tasks k WHERE k.id = ? AND k.property_id IN `+r, append([]any{id}, args...)...))
		return notFound(err)
	})
	return out, err
}

// ListTasks returns a page of the tasks of the properties p reaches that
// q selects, newest first unless q orders otherwise, and their total.
func (s *Store) ListTasks(ctx context.Context, p *keycard.Principal, q keycard.ListQuery) ([]*keycard.Task, int, error) {
	where, args, order, err := listSQL(q, taskFields, "k.inserted_at DESC, k.id ASC")
	if err != nil {
		return nil, 0, err
	}
	r, rargs := reach(s.dialect, p)
	args = append(rargs, args...)
	var out []*keycard.Task
	var total int
	err = s.read(ctx, func(t *tx) error {
		if err := t.QueryRow(ctx, `SELECT COUNT(*) FROM tasks k WHERE k.property_id IN `+r+where, args...).Scan(&total); err != nil {
			return fmt.Errorf("store: count tasks: %w", err)
		}
		var err error
		out, err = scanAll(ctx, t, scanTask, `SELECT `+taskColumns+` FROM tasks k WHERE k.property_id IN `+r+where+order+page(q), args...)
		return err
	})
	return out, total, err
}

// ariEntry is what a task records of one ARI change: its property, the
// room type or rate plan it names, and its dates.
type ariEntry struct {
	propertyID, id string
	dates          keycard.Dates
}

// ariTasks returns, for p's ARI write of kind typ, one task per property
// that received values (the task ids given out in the answer): how many
// values it applied, their dates and targets, and the warnings of the
// values refused for that property.
func ariTasks(p *keycard.Principal, typ string, props map[string]*ariProperty, entries []ariEntry, warnings []keycard.FieldErrors) []*keycard.Task {
	tasks := map[string]*keycard.Task{}
	var order []*keycard.Task
	for i, e := range entries {
		prop := props[e.propertyID]
		if prop == nil || prop.taskID == "" {
			continue
		}
		task := tasks[e.propertyID]
		if task == nil {
			task = &keycard.Task{ID: prop.taskID, PropertyID: e.propertyID, Type: typ, UserID: p.UserID, APIKeyID: p.APIKeyID}
			tasks[e.propertyID] = task
			order = append(order, task)
		}
		if len(warnings[i]) > 0 {
			task.Warnings = append(task.Warnings, warnings[i])
			continue
		}
		if task.Values == 0 {
			task.DateFrom, task.DateTo = e.dates.From, e.dates.To
		}
		task.Values++
		task.DateFrom, task.DateTo = min(task.DateFrom, e.dates.From), max(task.DateTo, e.dates.To)
		ids := &task.RatePlanIDs
		if typ == keycard.TaskAvailability {
			ids = &task.RoomTypeIDs
		}
		if !slices.Contains(*ids, e.id) {
			*ids = append(*ids, e.id)
		}
	}
	return order
}
