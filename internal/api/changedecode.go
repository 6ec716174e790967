package api

// Readers of members into the pointer fields of keycard's typed changes:
// nil is a member the body did not have, or one of the wrong type (which
// is recorded in f.errs).

// boolPtr reads a boolean member; null is an error.
func (f *fields) boolPtr(name string) *bool {
	var b bool
	if !f.boolean(name, &b) {
		return nil
	}
	return &b
}

// intPtr reads a whole-number member (or a string of digits); null is an
// error.
func (f *fields) intPtr(name string) *int {
	var n int
	if !integer(f, name, &n) {
		return nil
	}
	return &n
}

// strPtrUnlessNull reads a string member that null leaves as it is: nil
// when absent, null or of the wrong type.
func (f *fields) strPtrUnlessNull(name string) *string {
	if isNull(f.raw(name)) {
		return nil
	}
	return f.strPtrOrEmpty(name)
}
