/** A Region document for tests: a place, its own residency zone, and whatever else the test needs (ingress, placement, endpoints) as YAML lines under spec. */
export const regionDoc = (name: string, lat: number, lon: number, continent: string, ...specLines: string[]): string => `
apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata: { name: ${name} }
spec:
  location: { latitude: ${lat}, longitude: ${lon}, continent: ${continent} }
  residency: ${name}
${specLines.map((l) => `  ${l}\n`).join('')}`;
