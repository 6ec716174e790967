package keycard

import (
	"strings"
	"testing"
)

func TestWebhookApply(t *testing.T) {
	stored := func() *Webhook {
		return &Webhook{PropertyID: propertyP1, CallbackURL: "https://hooks.example.com/a", EventMask: "*", IsActive: true,
			Headers: map[string]string{"Authorization": "Bearer s3cret"}, RequestParams: map[string]string{}}
	}
	for _, tc := range []struct {
		name   string
		before *Webhook // nil: stored()
		change WebhookChange
		decode FieldErrors
		want   map[string]string
		check  func(t *testing.T, w *Webhook)
	}{
		{name: "a new webhook for every property", before: &Webhook{},
			change: WebhookChange{PropertyIDSent: true, CallbackURL: new(" https://hooks.example.com/b "), EventMask: new(" booking "), SendData: new(true)},
			check: func(t *testing.T, w *Webhook) {
				if w.PropertyID != "" || w.CallbackURL != "https://hooks.example.com/b" || w.EventMask != "booking" || !w.SendData {
					t.Errorf("got %+v, want every property, the url and mask trimmed, send_data", w)
				}
			}},
		{name: "property id lower-cased", change: WebhookChange{PropertyIDSent: true, PropertyID: new(" " + strings.ToUpper(propertyP1))},
			check: func(t *testing.T, w *Webhook) {
				if w.PropertyID != propertyP1 {
					t.Errorf("got property %q, want %s", w.PropertyID, propertyP1)
				}
			}},
		{name: "property id that is not one", change: WebhookChange{PropertyIDSent: true, PropertyID: new("")},
			want: map[string]string{"property_id": "is not a valid id"}},
		{name: "a masked header keeps the stored value", change: WebhookChange{HeadersSent: true, Headers: map[string]string{"Authorization": MaskedValue, "X-Src": "kc"}},
			check: func(t *testing.T, w *Webhook) {
				if w.Headers["Authorization"] != "Bearer s3cret" || w.Headers["X-Src"] != "kc" {
					t.Errorf("got headers %v, want the stored Authorization and X-Src", w.Headers)
				}
			}},
		{name: "a new callback needs the headers again", change: WebhookChange{CallbackURL: new("https://evil.example/")},
			want: map[string]string{"headers": "must be sent again"}},
		{name: "a masked header does not follow a new callback", change: WebhookChange{CallbackURL: new("https://evil.example/"), HeadersSent: true, Headers: map[string]string{"Authorization": MaskedValue}},
			want: map[string]string{"headers": "must be sent again"}},
		{name: "a new callback with the headers in clear", change: WebhookChange{CallbackURL: new("https://hooks.example.com/c"), HeadersSent: true,
			Headers: map[string]string{"Authorization": "Bearer n3w"}}},
		{name: "headers that failed to decode keep their message", change: WebhookChange{CallbackURL: new("https://evil.example/")},
			decode: FieldErrors{"headers": {"must be an object of strings"}}, want: map[string]string{"headers": "must be an object of strings"}},
		{name: "null headers empty them", change: WebhookChange{HeadersSent: true}, check: func(t *testing.T, w *Webhook) {
			if w.Headers == nil || len(w.Headers) != 0 {
				t.Errorf("got headers %#v, want empty", w.Headers)
			}
		}},
		{name: "bad values", change: WebhookChange{CallbackURL: new("ftp://example.com/x"), EventMask: new("no_such_event"),
			HeadersSent: true, Headers: map[string]string{"Host": "x"}},
			want: map[string]string{"callback_url": "must be an http or https URL", "event_mask": "unknown event", "headers": "cannot set Host"}},
		{name: "blank callback and mask", before: &Webhook{}, change: WebhookChange{CallbackURL: new(""), EventMask: new(" ")},
			want: map[string]string{"callback_url": "can't be blank", "event_mask": "can't be blank"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.before
			if w == nil {
				w = stored()
			}
			checkApplied(t, w.Apply(&tc.change, tc.decode), tc.want)
			if tc.check != nil {
				tc.check(t, w)
			}
		})
	}
	t.Run("the change is left as sent", func(t *testing.T) {
		c := &WebhookChange{HeadersSent: true, Headers: map[string]string{"Authorization": MaskedValue}}
		stored().Apply(c, nil)
		if c.Headers["Authorization"] != MaskedValue {
			t.Errorf("got %q in the change, want %q: applying it again elsewhere must read the same", c.Headers["Authorization"], MaskedValue)
		}
	})
}
