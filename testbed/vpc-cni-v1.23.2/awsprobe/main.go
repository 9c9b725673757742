// awsprobe drives the real ipamd AWS layer (pkg/awsutils of this wrapper's amazon-vpc-cni-k8s) against aws-emu:
// the calls ipamd makes at start-up and when it grows and shrinks its pool, in secondary-IP or prefix mode
// (PROBE_PD=true). It touches no network interface (awsutils never calls netlink) and prints one JSON document
// on stdout for tests/aws/test_awsemu_ipamd.py to judge; a failed step exits 1 naming the step.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/amazon-vpc-cni-k8s/pkg/awsutils"
	"github.com/aws/aws-sdk-go-v2/aws"
)

type eniReport struct {
	ID       string   `json:"id"`
	MAC      string   `json:"mac"`
	Device   int      `json:"device"`
	Subnet   string   `json:"subnet_cidr"`
	IPs      []string `json:"ips"`
	Prefixes []string `json:"prefixes"`
}

type report struct {
	InstanceID      string      `json:"instance_id"`
	InstanceType    string      `json:"instance_type"`
	PrimaryENI      string      `json:"primary_eni"`
	PrimaryIP       string      `json:"primary_ip"`
	ENILimit        int         `json:"eni_limit"`
	IPv4PerENI      int         `json:"ipv4_per_eni"`
	VPCCIDRs        []string    `json:"vpc_cidrs"`
	PrimaryAssigned []string    `json:"primary_assigned_ips"`
	PrimaryPrefixes []string    `json:"primary_assigned_prefixes"`
	NewENI          eniReport   `json:"new_eni"`
	EC2Prefixes     []string    `json:"ec2_prefixes_of_new_eni"`
	AfterDealloc    []string    `json:"ec2_prefixes_after_dealloc"`
	EC2IPs          []string    `json:"ec2_ips_of_new_eni"`
	Attached        []eniReport `json:"imds_attached_before_free"`
	AttachedAfter   []string    `json:"imds_attached_after_free"`
}

func must(step string, err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL %s: %v\n", step, err)
		os.Exit(1)
	}
}

func toENI(md awsutils.ENIMetadata) eniReport {
	r := eniReport{ID: md.ENIID, MAC: md.MAC, Device: md.DeviceNumber, Subnet: md.SubnetIPv4CIDR,
		IPs: []string{}, Prefixes: []string{}}
	for _, a := range md.IPv4Addresses {
		r.IPs = append(r.IPs, aws.ToString(a.PrivateIpAddress))
	}
	for _, p := range md.IPv4Prefixes {
		r.Prefixes = append(r.Prefixes, aws.ToString(p.Ipv4Prefix))
	}
	return r
}

func main() {
	ctx := context.Background()
	pd := os.Getenv("PROBE_PD") == "true"
	var out report
	// useSubnetDiscovery=true (the manifest default), no custom networking, no leaked-ENI cleanup, IPv4 only.
	c, err := awsutils.New(ctx, true, false, true, true, false)
	must("awsutils.New (IMDS start-up reads)", err)
	out.InstanceID, out.InstanceType = c.GetInstanceID(), c.GetInstanceType()
	out.PrimaryENI, out.PrimaryIP = c.GetPrimaryENI(), c.GetLocalIPv4().String()
	must("FetchInstanceTypeLimits", c.FetchInstanceTypeLimits(ctx))
	out.ENILimit, out.IPv4PerENI = c.GetENILimit(), c.GetENIIPv4Limit()
	c.InitCachedPrefixDelegation(pd)
	cidrs, err := c.GetVPCIPv4CIDRs()
	must("GetVPCIPv4CIDRs", err)
	for _, s := range cidrs {
		out.VPCCIDRs = append(out.VPCCIDRs, s)
	}
	all, err := c.DescribeAllENIs(ctx)
	must("DescribeAllENIs", err)
	must("TagENI", c.TagENI(ctx, c.GetPrimaryENI(), all.TagMap[c.GetPrimaryENI()]))
	// 3 IPs in secondary-IP mode, 3 /28 prefixes in prefix mode (awsutils decides from the cached PD flag).
	assigned, err := c.AllocIPAddresses(ctx, c.GetPrimaryENI(), 3)
	must("AllocIPAddresses(primary)", err)
	out.PrimaryAssigned, out.PrimaryPrefixes = []string{}, []string{}
	for _, a := range assigned.AssignedPrivateIpAddresses {
		out.PrimaryAssigned = append(out.PrimaryAssigned, aws.ToString(a.PrivateIpAddress))
	}
	for _, p := range assigned.AssignedIpv4Prefixes {
		out.PrimaryPrefixes = append(out.PrimaryPrefixes, aws.ToString(p.Ipv4Prefix))
	}
	eni, err := c.AllocENI(ctx, nil, "", 3, 0)
	must("AllocENI", err)
	// In prefix mode awsutils reads the 3 as 3 prefixes (AllocIPAddresses and createENI alike).
	md, err := c.WaitForENIAndIPsAttached(eni, 3)
	must("WaitForENIAndIPsAttached (IMDS polling)", err)
	out.NewENI = toENI(md)
	attached, err := c.GetAttachedENIs()
	must("GetAttachedENIs (IMDS)", err)
	for _, a := range attached {
		out.Attached = append(out.Attached, toENI(a))
	}
	pfx, err := c.GetIPv4PrefixesFromEC2(ctx, eni)
	must("GetIPv4PrefixesFromEC2", err)
	out.EC2Prefixes, out.AfterDealloc = []string{}, []string{}
	for _, p := range pfx {
		out.EC2Prefixes = append(out.EC2Prefixes, aws.ToString(p.Ipv4Prefix))
	}
	if len(out.EC2Prefixes) > 0 {
		must("DeallocPrefixAddresses", c.DeallocPrefixAddresses(ctx, eni, out.EC2Prefixes[:1]))
		left, err := c.GetIPv4PrefixesFromEC2(ctx, eni)
		must("GetIPv4PrefixesFromEC2 after dealloc", err)
		for _, p := range left {
			out.AfterDealloc = append(out.AfterDealloc, aws.ToString(p.Ipv4Prefix))
		}
	}
	if len(md.IPv4Addresses) > 1 {
		must("DeallocIPAddresses", c.DeallocIPAddresses(ctx, eni, []string{aws.ToString(md.IPv4Addresses[1].PrivateIpAddress)}))
	}
	ips, err := c.GetIPv4sFromEC2(ctx, eni)
	must("GetIPv4sFromEC2", err)
	for _, a := range ips {
		out.EC2IPs = append(out.EC2IPs, aws.ToString(a.PrivateIpAddress))
	}
	must("FreeENI", c.FreeENI(ctx, eni))
	after, err := c.GetAttachedENIs()
	must("GetAttachedENIs after FreeENI", err)
	out.AttachedAfter = []string{}
	for _, a := range after {
		out.AttachedAfter = append(out.AttachedAfter, a.ENIID)
	}
	must("encode", json.NewEncoder(os.Stdout).Encode(out))
}
