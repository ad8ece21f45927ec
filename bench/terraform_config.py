#!/usr/bin/env python3
"""Writes the terraform configuration that adopts a provisioned estate (bench/run).

    bench/terraform_config.py ESTATE_DIR OUT_DIR ENDPOINT

OUT_DIR gets the estate's tf/*.tf (its own provider block replaced by one that talks to
ENDPOINT, or to `-var endpoint=URL`) and imports.tf: one `import {}` block per resource,
with the ids AWS gave (ESTATE_DIR/ids.json), so one `terraform apply` adopts them all into a
local state.
"""

import json
import os
import re
import shutil
import sys


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    estate, out, endpoint = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(os.path.join(estate, "tf")):
        if name.endswith(".tf") and name != "versions.tf":
            shutil.copy(os.path.join(estate, "tf", name), os.path.join(out, name))
    region = json.load(open(os.path.join(estate, "clean.json")))["region"]
    services = ["kms", "route53", "rds", "sts", "iam"]
    endpoints = "\n".join(f"    {s} = var.endpoint" for s in services)
    with open(os.path.join(out, "provider.tf"), "w") as f:
        f.write(f'''terraform {{
  required_providers {{
    aws = {{
      source = "hashicorp/aws"
    }}
  }}
}}

variable "endpoint" {{
  type    = string
  default = "{endpoint}"
}}

provider "aws" {{
  region                      = "{region}"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true

  endpoints {{
{endpoints}
  }}
}}
''')
    ids = json.load(open(os.path.join(estate, "ids.json")))
    imports = json.load(open(os.path.join(estate, "imports.json")))

    def resolve(template):
        template = re.sub(r"\{zone:([^}]+)\}", lambda m: ids["zones"][m.group(1)], template)
        return re.sub(r"\{key:([^}]+)\}", lambda m: ids["keys"][m.group(1)], template)

    # moto's DescribeKey leaves out what the provider reads as key_usage and the key spec,
    # which would make terraform replace every imported key: an override ignores them.
    keys = sorted({a.split(".")[1].split("[")[0] for a in imports if a.startswith("aws_kms_key.")})
    with open(os.path.join(out, "bench_override.tf"), "w") as f:
        for name in keys:
            f.write(f'resource "aws_kms_key" "{name}" {{\n  lifecycle {{\n'
                    f'    ignore_changes = [key_usage, customer_master_key_spec]\n  }}\n}}\n\n')
    with open(os.path.join(out, "imports.tf"), "w") as f:
        for address, template in imports.items():
            f.write(f'import {{\n  to = {address}\n  id = {json.dumps(resolve(template))}\n}}\n\n')


if __name__ == "__main__":
    main()
