/**
 * AWS's public SageMaker runtime URL for a region, as the SDK's endpoint rules resolve it (no
 * FIPS, no dual-stack): `runtime.sagemaker.<region>.<dnsSuffix>`, the suffix being the region's
 * partition's (@aws-sdk/core's partitions table, for the partitions a fleet region can name).
 */
export function sageMakerRuntimeUrl(awsRegion: string): string {
  return `https://runtime.sagemaker.${awsRegion}.${dnsSuffix(awsRegion)}`;
}

const PARTITION_SUFFIXES: readonly (readonly [RegExp, string])[] = [
  [/^cn-/, 'amazonaws.com.cn'],
  [/^us-iso-/, 'c2s.ic.gov'],
  [/^us-isob-/, 'sc2s.sgov.gov'],
  [/^us-isof-/, 'csp.hci.ic.gov'],
  [/^eu-isoe-/, 'cloud.adc-e.uk'],
  [/^eusc-/, 'amazonaws.eu'],
];

const dnsSuffix = (awsRegion: string): string => PARTITION_SUFFIXES.find(([prefix]) => prefix.test(awsRegion))?.[1] ?? 'amazonaws.com';
