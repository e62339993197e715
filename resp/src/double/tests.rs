//! `format_double` against glibc's `printf("%.17g")`, and the INCRBYFLOAT format.

use super::*;

/// `(bits of an f64, glibc's "%.17g" of it)`, produced once by a C program.
const GLIBC_G17: &[(u64, &str)] = &[
    (0x3ff0000000000000, "1"),
    (0xbff0000000000000, "-1"),
    (0x3fb999999999999a, "0.10000000000000001"),
    (0x3fe0000000000000, "0.5"),
    (0x3ff8000000000000, "1.5"),
    (0x400921f9f01b866e, "3.1415899999999999"),
    (0x4059000000000000, "100"),
    (0x4341c37937e08000, "10000000000000000"),
    (0x4376345785d8a000, "1e+17"),
    (0x4345ee2a2eb5a5c4, "12345678901234568"),
    (0x437b69b4ba630f35, "1.2345678901234568e+17"),
    (0x3f1a36e2eb1c432d, "0.0001"),
    (0x3ee4f8b588e368f1, "1.0000000000000001e-05"),
    (0x3f202e4b6ce5dc68, "0.00012344999999999999"),
    (0x3eef75104d551d69, "1.5e-05"),
    (0x444b1ae4d6e2ef50, "1e+21"),
    (0x7e37e43c8800759c, "1.0000000000000001e+300"),
    (0x81a56e1fc2f8f359, "-1e-300"),
    (0x0000000000000001, "4.9406564584124654e-324"),
    (0x7fefffffffffffff, "1.7976931348623157e+308"),
    (0x0010000000000000, "2.2250738585072014e-308"),
    (0x3fd3333333333334, "0.30000000000000004"),
    (0x4025333333333333, "10.6"),
    (0x4376345785d8a000, "1e+17"),
    (0x3f1a36e2eb1c432c, "9.9999999999999991e-05"),
    (0x3fb999c000000000, "0.10000228881835938"),
    (0x3fd5555555555555, "0.33333333333333331"),
    (0x3fe5555555555555, "0.66666666666666663"),
    (0xc05edd2f1a9fbe77, "-123.456"),
    (0x4330000000000000, "4503599627370496"),
    (0x430c6bf526340002, "1000000000000000.2"),
    (0x7ca5bc9284c81f3b, "2.7114252389346986e+292"),
    (0x36f739543936fb1b, "6.5087346834707573e-44"),
    (0xfef676d4ffdc9f50, "-3.8512912610671233e+303"),
    (0x0e2b1669674303e9, "2.0311553087051674e-240"),
    (0xc3b21c856186e9a9, "-1.3050646459523832e+18"),
    (0x29f543acc9fd5982, "1.4486843343415033e-106"),
    (0xc9e818a009969778, "-1.1005195009039835e+48"),
    (0x0daa535b5c0185e8, "7.7110229718154087e-243"),
    (0x041a30918a1bfe01, "6.7185420412661754e-289"),
    (0xc26992c4c042ab6e, "-878692401685.35718"),
    (0x2e7a488d185b35b2, "8.4559581428762663e-85"),
    (0xc62e5be34546901f, "-1.2026413823138347e+30"),
    (0x49f97da96b04fbb1, "2.328433933017149e+48"),
    (0xe3f9aecf82294a24, "-3.9700940925898772e+173"),
    (0xfadae78ca2046c0a, "-6.2511610945085344e+283"),
    (0xde6e9bd0258c91fd, "-7.6441994065752307e+146"),
    (0xa8142e144cb83b5d, "-1.280391482355261e-115"),
    (0x16cf593ed305e3d9, "8.1908925958666293e-199"),
    (0x9954249f09defea5, "-1.1573586588371839e-186"),
    (0xf66f6382a6012767, "-3.0887285323306984e+262"),
    (0x08f8aba0c0c3c01d, "1.912759665417257e-265"),
    (0xf9b5b43d1b47f583, "-1.923698208006175e+278"),
    (0xed10f7055f77d663, "-2.3393157754921234e+217"),
    (0xe898ed572b37e97d, "-7.2786217766813661e+195"),
    (0x6afbf132de5f2c79, "2.2427318884350054e+207"),
    (0xbe230854688f192e, "-2.2156790330170176e-09"),
    (0x48756eeaf9bcf254, "1.1669383756209325e+41"),
    (0xe3d78387f23a147e, "-9.0869935837594193e+172"),
    (0xd680e9df557fff76, "-4.9652781765448729e+108"),
    (0x0c137a44c8197bde, "1.7002756180862091e-250"),
    (0x4ad84536a8996d93, "3.6322486872516734e+52"),
    (0x0f751547ae6243d1, "3.3154185734781821e-234"),
    (0x90e120ebbc50f1b3, "-2.2595141990152963e-227"),
    (0xce12de785b6d1e88, "-1.271769702030414e+68"),
    (0xd535611a71b69e3b, "-2.9927622886373114e+102"),
    (0x69fac90eb5377a75, "3.2804613588861149e+202"),
    (0xb6585e4cf23f5cb8, "-6.6694038472782444e-47"),
    (0x843631bb8c654c7c, "-2.2774297458068274e-288"),
    (0xe13e991bb39d1fa9, "-2.688635145385179e+160"),
    (0xd18bc8b451dd4c40, "-6.7468894176091476e+84"),
    (0x3f038361ec25a4f7, "3.7218499999999996e-05"),
    (0x42cdb280a9dd0001, "65305000000000.008"),
    (0x407eb604189374bc, "491.37599999999998"),
    (0x404c1604189374bc, "56.171999999999997"),
    (0x3ef9f89520babfed, "2.47679e-05"),
    (0xc2f6b95c66c5c000, "-399766000000000"),
    (0xc0610428f5c28f5c, "-136.13"),
    (0xc079f82d0e560419, "-415.51100000000002"),
    (0xbee8e86a734c8f0a, "-1.1876999999999998e-05"),
    (0x42f347ca9702a000, "339185000000000"),
    (0x40882447ae147ae1, "772.53499999999997"),
    (0xc084ed76c8b43958, "-669.68299999999999"),
    (0xbee9a9f5316fe494, "-1.2237499999999999e-05"),
    (0xc2e567df7806c000, "-188287000000000"),
    (0x40873e8d4fdf3b64, "743.81899999999996"),
    (0xc06468cccccccccd, "-163.27500000000001"),
    (0x3f15da3a7c305ac4, "8.3360499999999996e-05"),
    (0xc2f37be6dabcc000, "-342766000000000"),
    (0x405be1eb851eb852, "111.53"),
    (0x408e61b851eb851f, "972.21500000000003"),
];

#[test]
fn matches_glibc_percent_17g() {
    for &(bits, expected) in GLIBC_G17 {
        let value = f64::from_bits(bits);
        assert_eq!(format_double(value), expected, "bits {bits:#018x}");
    }
}

#[test]
fn special_values_print_as_redis_does() {
    assert_eq!(format_double(f64::INFINITY), "inf");
    assert_eq!(format_double(f64::NEG_INFINITY), "-inf");
    assert_eq!(format_double(f64::NAN), "nan");
    assert_eq!(format_double(-f64::NAN), "-nan");
    assert_eq!(format_double(0.0), "0");
    assert_eq!(format_double(-0.0), "-0");
}

#[test]
fn format_double_reads_back_exactly() {
    for &(bits, _) in GLIBC_G17 {
        let value = f64::from_bits(bits);
        assert_eq!(format_double(value).parse::<f64>().ok(), Some(value));
    }
}

#[test]
fn incrbyfloat_results_read_like_redis() {
    assert_eq!(format_long_double_human(10.5 + 0.1), "10.6");
    assert_eq!(format_long_double_human(5.0e3 + 2.0e2), "5200");
    assert_eq!(format_long_double_human(3.0), "3");
    assert_eq!(format_long_double_human(-0.0), "0");
    assert_eq!(format_long_double_human(-1e-20), "0");
    assert_eq!(format_long_double_human(1.6e-17), "0.00000000000000002");
    assert_eq!(format_long_double_human(1e21), "1000000000000000000000");
    assert_eq!(format_long_double_human(f64::INFINITY), "inf");
    assert_eq!(format_long_double_human(f64::NEG_INFINITY), "-inf");
}

/// The formatter before `double_text`: two exact conversions through
/// `String`s, checked against glibc by the table above. The new one must agree
/// on every double.
fn reference_g17(value: f64) -> String {
    if value.is_nan() || value.is_infinite() || value == 0.0 {
        return format_double(value);
    }
    let scientific = format!("{value:.16e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..17).contains(&exponent) {
        let fixed = format!("{:.*}", (16 - exponent) as usize, value);
        strip_fraction_zeros(&fixed).to_string()
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{}e{}{:02}",
            strip_fraction_zeros(mantissa),
            sign,
            exponent.unsigned_abs()
        )
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
    #[test]
    fn double_text_agrees_with_the_two_pass_formatter(bits in proptest::prelude::any::<u64>()) {
        let value = f64::from_bits(bits);
        let text = double_text(value);
        proptest::prop_assert_eq!(text.as_str(), reference_g17(value));
    }

    #[test]
    fn double_text_agrees_on_short_decimals_and_integers(
        n in -10_000_000_000_000_000_000i128..10_000_000_000_000_000_000i128,
        scale in 0u32..25,
    ) {
        let value = n as f64 / 10f64.powi(scale as i32);
        let text = double_text(value);
        proptest::prop_assert_eq!(text.as_str(), reference_g17(value));
    }
}
