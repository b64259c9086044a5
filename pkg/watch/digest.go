package watch

import (
	"hash/maphash"
	"strconv"
)

var digestSeed = maphash.MakeSeed()

// digest hashes everything Build reads from the input, so an unchanged
// input can skip the build. It is per process (a random seed): after a
// restart the first build is compared with the server's copy instead.
// TestDigestCoversWhatBuildReads changes each field and checks that the
// digest changes whenever the built report does.
func (in ReportInput) digest() uint64 {
	var h maphash.Hash
	h.SetSeed(digestSeed)
	str := func(s string) { h.WriteString(s); h.WriteByte(0) }
	num := func(n int64) { h.WriteString(strconv.FormatInt(n, 36)); h.WriteByte(0) }
	str(in.Namespace)
	str(in.NamespaceUID)
	num(int64(in.Passed))
	num(int64(in.MaxResults))
	num(int64(len(in.Errors)))
	for _, e := range in.Errors {
		str(e)
	}
	num(int64(len(in.Findings)))
	for _, t := range in.Findings {
		str(t.RuleID)
		str(t.Title)
		num(int64(t.Severity))
		str(string(t.Category))
		str(t.Message)
		str(t.Object.APIVersion)
		str(t.Object.Kind)
		str(t.Object.Namespace)
		str(t.Object.Name)
		str(t.Object.UID)
		str(t.Container)
		str(t.Field)
		str(t.Fingerprint)
		str(t.Note)
		num(t.FirstSeen.Unix())
		num(t.Generation)
		str(t.Manager)
		num(t.ChangedAt.Unix())
		if s := t.Suppressed; s != nil {
			str("suppressed")
			str(s.Source)
			str(s.Reason)
			str(s.Expires)
		} else {
			str("")
		}
	}
	return h.Sum64()
}
