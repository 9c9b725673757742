module netconform.invalid/testbed/dialer

go 1.26.0

require github.com/ishidawataru/sctp v0.0.0-20250521072954-ae8eb7fa7995
