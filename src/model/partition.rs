//! The AWS partition a region belongs to (`aws`, `aws-cn`, `aws-us-gov`, the isolated ones): the
//! one value every ARN hover predicts, checks or builds takes its partition from, with the domain
//! suffix of the partition's endpoints and whether CloudFront serves it.

use std::fmt;

/// An AWS partition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Partition {
    /// The commercial regions.
    Aws,
    /// The China regions (`cn-north-1`, `cn-northwest-1`).
    China,
    /// AWS GovCloud (US) (`us-gov-west-1`, `us-gov-east-1`).
    GovCloud,
    /// The isolated regions.
    Iso,
    IsoB,
    IsoE,
    IsoF,
}

/// Region prefixes of every partition but the commercial one, most specific first.
const PREFIXES: &[(&str, Partition)] = &[
    ("cn-", Partition::China),
    ("us-gov-", Partition::GovCloud),
    ("us-isob-", Partition::IsoB),
    ("us-isof-", Partition::IsoF),
    ("eu-isoe-", Partition::IsoE),
    ("us-iso-", Partition::Iso),
];

impl Partition {
    /// The partition of `region`; the commercial one for a region of no other.
    pub fn of(region: &str) -> Partition {
        PREFIXES
            .iter()
            .find(|(prefix, _)| region.starts_with(prefix))
            .map_or(Partition::Aws, |(_, p)| *p)
    }

    /// Its name as ARNs and `AWS::Partition` write it.
    pub fn id(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::China => "aws-cn",
            Partition::GovCloud => "aws-us-gov",
            Partition::Iso => "aws-iso",
            Partition::IsoB => "aws-iso-b",
            Partition::IsoE => "aws-iso-e",
            Partition::IsoF => "aws-iso-f",
        }
    }

    /// The domain suffix of its endpoints, as `AWS::URLSuffix` gives it.
    pub fn url_suffix(self) -> &'static str {
        match self {
            Partition::Aws | Partition::GovCloud => "amazonaws.com",
            Partition::China => "amazonaws.com.cn",
            Partition::Iso => "c2s.ic.gov",
            Partition::IsoB => "sc2s.sgov.gov",
            Partition::IsoE => "cloud.adc-e.uk",
            Partition::IsoF => "csp.hci.ic.gov",
        }
    }

    /// Whether CloudFront serves stages of this partition. It is a service of the commercial
    /// partition (with ACM certificates from us-east-1) and of the China regions (run apart, its
    /// own `cloudfront.cn` domains); GovCloud and the isolated regions have none.
    pub fn has_cloudfront(self) -> bool {
        matches!(self, Partition::Aws | Partition::China)
    }

    /// The start of every ARN of the partition: `arn:<partition>:`.
    pub fn arn_prefix(self) -> String {
        format!("arn:{}:", self.id())
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_region_is_in_its_partition() {
        for (region, id, suffix) in [
            ("us-east-1", "aws", "amazonaws.com"),
            ("eu-west-1", "aws", "amazonaws.com"),
            ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
            ("cn-northwest-1", "aws-cn", "amazonaws.com.cn"),
            ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
            ("us-gov-east-1", "aws-us-gov", "amazonaws.com"),
            ("us-iso-east-1", "aws-iso", "c2s.ic.gov"),
            ("us-isob-east-1", "aws-iso-b", "sc2s.sgov.gov"),
            ("eu-isoe-west-1", "aws-iso-e", "cloud.adc-e.uk"),
            ("us-isof-south-1", "aws-iso-f", "csp.hci.ic.gov"),
        ] {
            let p = Partition::of(region);
            assert_eq!((p.id(), p.url_suffix()), (id, suffix), "{region}");
        }
        assert!(Partition::of("cn-north-1").has_cloudfront());
        assert!(!Partition::of("us-gov-west-1").has_cloudfront());
        assert_eq!(
            Partition::of("us-gov-west-1").arn_prefix(),
            "arn:aws-us-gov:"
        );
    }
}
