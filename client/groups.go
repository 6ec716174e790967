package client

import (
	"context"
	"net/http"
)

// Group returns one group, with its properties.
func (c *Client) Group(ctx context.Context, id string) (*Group, error) {
	return one[Group](c, ctx, http.MethodGet, "/api/v1/groups/"+pathID(id), nil)
}

// UpdateGroup renames a group.
func (c *Client) UpdateGroup(ctx context.Context, id, title string) (*Group, error) {
	return one[Group](c, ctx, http.MethodPut, "/api/v1/groups/"+pathID(id), map[string]any{"group": map[string]string{"title": title}})
}

// AddPropertyToGroup puts a property in a group.
func (c *Client) AddPropertyToGroup(ctx context.Context, groupID, propertyID string) error {
	return c.do(ctx, http.MethodPost, "/api/v1/groups/"+pathID(groupID)+"/properties/"+pathID(propertyID), nil, nil, nil)
}

// RemovePropertyFromGroup takes a property out of a group.
func (c *Client) RemovePropertyFromGroup(ctx context.Context, groupID, propertyID string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/groups/"+pathID(groupID)+"/properties/"+pathID(propertyID), nil, nil, nil)
}
