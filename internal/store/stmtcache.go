package store

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"strings"
)

// stmtCacheSize bounds the prepared statements each SQLite connection
// keeps. keycard's statements are a few hundred distinct texts at most
// (lists vary with their filters and page size), so a warm server parses
// no SQL at all.
const stmtCacheSize = 512

// stmtCacheConnector opens SQLite connections that prepare each statement
// text once and reuse it: parsing and planning the SQL costs more than
// running most of keycard's queries. (pgx does the same for PostgreSQL on
// its own: its default mode caches 512 statements per connection.)
type stmtCacheConnector struct {
	base driver.Connector
	size int // 0: stmtCacheSize
}

func (c stmtCacheConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if c.size == 0 {
		c.size = stmtCacheSize
	}
	return newCachingConn(conn, c.size)
}

func (c stmtCacheConnector) Driver() driver.Driver { return c.base.Driver() }

// innerConn is what cachingConn needs of the driver's connection.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
}

// cachingConn is a driver connection with an LRU of prepared statements.
// database/sql uses a connection from one goroutine at a time, so it needs
// no lock.
type cachingConn struct {
	innerConn
	size  int
	stmts map[string]*list.Element // of *cachedStmt
	lru   list.List                // front: most recently used
}

type cachedStmt struct {
	query string
	st    interface {
		driver.Stmt
		driver.StmtQueryContext
		driver.StmtExecContext
	}
	// busy is set while rows read from the statement are open: the
	// statement cannot run again, nor be closed, until they are.
	busy    bool
	evicted bool
}

func newCachingConn(conn driver.Conn, size int) (*cachingConn, error) {
	ic, ok := conn.(innerConn)
	if !ok {
		conn.Close()
		return nil, errors.New("store: sqlite driver connection lacks context methods")
	}
	return &cachingConn{innerConn: ic, size: size, stmts: make(map[string]*list.Element, size)}, nil
}

// stmt returns the cached statement for query, preparing it on a miss, or
// nil when query should not be cached (a script of several statements) or
// its statement is in use.
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if e, ok := c.stmts[query]; ok {
		c.lru.MoveToFront(e)
		cs := e.Value.(*cachedStmt)
		if cs.busy {
			return nil, nil
		}
		return cs, nil
	}
	if strings.IndexByte(query, ';') >= 0 {
		return nil, nil
	}
	ds, err := c.innerConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	st, ok := ds.(interface {
		driver.Stmt
		driver.StmtQueryContext
		driver.StmtExecContext
	})
	if !ok {
		ds.Close()
		return nil, nil
	}
	cs := &cachedStmt{query: query, st: st}
	c.stmts[query] = c.lru.PushFront(cs)
	for c.lru.Len() > c.size {
		old := c.lru.Back()
		c.lru.Remove(old)
		o := old.Value.(*cachedStmt)
		delete(c.stmts, o.query)
		o.evicted = true
		if !o.busy {
			o.st.Close()
		}
	}
	return cs, nil
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.innerConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.st.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, cs: cs}, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.innerConn.ExecContext(ctx, query, args)
	}
	return cs.st.ExecContext(ctx, args)
}

// Close closes the cached statements, then the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for e := c.lru.Front(); e != nil; e = e.Next() {
		errs = append(errs, e.Value.(*cachedStmt).st.Close())
	}
	c.lru.Init()
	clear(c.stmts)
	return errors.Join(append(errs, c.innerConn.Close())...)
}

// Unwrap returns the driver's connection.
func (c *cachingConn) Unwrap() driver.Conn { return c.innerConn }

// The driver's optional interfaces, passed through.

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.innerConn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.innerConn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.innerConn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// cachedRows marks its statement free again when closed.
type cachedRows struct {
	driver.Rows
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	if r.cs != nil {
		r.cs.busy = false
		if r.cs.evicted {
			err = errors.Join(err, r.cs.st.Close())
		}
		r.cs = nil
	}
	return err
}

var (
	_ driver.Connector       = stmtCacheConnector{}
	_ driver.QueryerContext  = (*cachingConn)(nil)
	_ driver.ExecerContext   = (*cachingConn)(nil)
	_ driver.ConnBeginTx     = (*cachingConn)(nil)
	_ driver.Pinger          = (*cachingConn)(nil)
	_ driver.SessionResetter = (*cachingConn)(nil)
	_ driver.Validator       = (*cachingConn)(nil)
)
