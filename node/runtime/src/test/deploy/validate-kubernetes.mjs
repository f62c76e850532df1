// Checks every document of a Kubernetes manifest file against the API's own JSON schema for its
// apiVersion and kind (the kubernetes-models package carries them), with no cluster to talk to.
// Prints one line per document; exits 1 if any is invalid.
import { readFileSync } from "node:fs";
import * as yaml from "js-yaml";

const documents = yaml.loadAll(readFileSync(process.argv[2], "utf8")).filter((d) => d);
let invalid = 0;
for (const doc of documents) {
  const what = `${doc.apiVersion} ${doc.kind} ${doc.metadata?.name}`;
  try {
    const model = await import(`kubernetes-models/${doc.apiVersion}/${doc.kind}`);
    new model[doc.kind](doc).validate();
    console.log(`valid ${what}`);
  } catch (e) {
    invalid++;
    console.log(`INVALID ${what}: ${e.message}`);
  }
}
process.exit(invalid === 0 && documents.length > 0 ? 0 : 1);
