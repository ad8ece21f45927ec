#!/usr/bin/env python3
"""Provisions a generated estate (bench/generate.py) into a moto server and a PostgreSQL.

    bench/provision.py ESTATE_DIR clean   creates what clean.json describes (the code's state)
    bench/provision.py ESTATE_DIR drift   changes it into what snapshot.json describes

The AWS endpoint and credentials come from the usual variables (AWS_ENDPOINT_URL, ...); the
PostgreSQL server from PGHOST, PGPORT, PGUSER, PGPASSWORD. Writes ESTATE_DIR/ids.json (the ids
AWS gave: zone ids, key ids), which the terraform import blocks use.
"""

import json
import os
import subprocess
import sys

import boto3


def load(path):
    with open(path) as f:
        return json.load(f)


def psql(sql):
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c", sql],
                   check=True, stdout=subprocess.DEVNULL)


def description(alias):
    """The description the generated code gives the key behind `alias/bench-NNNNN`."""
    i = int(alias.rsplit("-", 1)[1])
    return [f"bench key {i}", f"bench team key {i:05d}", f"bench heredoc key {i}"][i % 3]


SYSTEM_DBS = {"template0", "template1", "postgres"}


def clean(estate, region):
    live = load(os.path.join(estate, "clean.json"))
    kms = boto3.client("kms", region_name=region)
    r53 = boto3.client("route53", region_name=region)
    rds = boto3.client("rds", region_name=region)
    ids = {"keys": {}, "zones": {}}
    for k in live["kms"]["keys"]:
        key = kms.create_key(Policy=json.dumps(k["policy"]),
                             Description=description(k["aliases"][0]))["KeyMetadata"]["KeyId"]
        for a in k["aliases"]:
            kms.create_alias(AliasName=a, TargetKeyId=key)
            ids["keys"][a] = key
    for z in live["route53"]["zones"]:
        zid = r53.create_hosted_zone(Name=z["name"], CallerReference=z["name"])["HostedZone"]["Id"]
        ids["zones"][z["name"]] = zid.split("/")[-1]
        changes = [{"Action": "CREATE", "ResourceRecordSet": r} for r in z["records"]
                   if r["Type"] not in ("NS", "SOA")]
        for i in range(0, len(changes), 500):
            r53.change_resource_record_sets(HostedZoneId=zid,
                                            ChangeBatch={"Changes": changes[i:i + 500]})
    for inst in live["rds"]["instances"]:
        rds.create_db_instance(
            DBInstanceIdentifier=inst["identifier"], Engine=inst["engine"],
            EngineVersion=inst["engine_version"], DBInstanceClass="db.t4g.micro",
            MasterUsername="bench", MasterUserPassword="not-a-real-one", AllocatedStorage=20,
            # The generated code gives the manifest's instance (the one whose databases are
            # listed) `db_name = "app"`.
            **({"DBName": "app"} if "databases" in inst else {}))
        for db in inst.get("databases") or []:
            if db["datname"] not in SYSTEM_DBS:
                psql(f'CREATE DATABASE "{db["datname"]}"')
    with open(os.path.join(estate, "ids.json"), "w") as f:
        json.dump(ids, f, indent=1)


def drift(estate, region):
    before = load(os.path.join(estate, "clean.json"))
    after = load(os.path.join(estate, "snapshot.json"))
    ids = load(os.path.join(estate, "ids.json"))
    kms = boto3.client("kms", region_name=region)
    r53 = boto3.client("route53", region_name=region)
    rds = boto3.client("rds", region_name=region)
    now = {k["aliases"][0]: k for k in after["kms"]["keys"]}
    for k in before["kms"]["keys"]:
        alias = k["aliases"][0]
        key = ids["keys"][alias]
        if alias not in now:
            kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
        elif now[alias]["policy"] != k["policy"]:
            kms.put_key_policy(KeyId=key, PolicyName="default",
                               Policy=json.dumps(now[alias]["policy"]))
    zones_after = {z["name"]: z for z in after["route53"]["zones"]}
    for z in before["route53"]["zones"]:
        zid = ids["zones"][z["name"]]
        old = {(r["Name"], r["Type"]): r for r in z["records"] if r["Type"] not in ("NS", "SOA")}
        new = {(r["Name"], r["Type"]): r for r in zones_after[z["name"]]["records"]
               if r["Type"] not in ("NS", "SOA")}
        changes = [{"Action": "DELETE", "ResourceRecordSet": r} for k, r in old.items()
                   if k not in new]
        changes += [{"Action": "CREATE", "ResourceRecordSet": r} for k, r in new.items()
                    if k not in old]
        changes += [{"Action": "UPSERT", "ResourceRecordSet": r} for k, r in new.items()
                    if k in old and old[k] != r]
        for i in range(0, len(changes), 500):
            r53.change_resource_record_sets(HostedZoneId=zid,
                                            ChangeBatch={"Changes": changes[i:i + 500]})
    inst_after = {i["identifier"]: i for i in after["rds"]["instances"]}
    for inst in before["rds"]["instances"]:
        ident = inst["identifier"]
        if ident not in inst_after:
            rds.delete_db_instance(DBInstanceIdentifier=ident, SkipFinalSnapshot=True)
            continue
        if inst_after[ident]["engine_version"] != inst["engine_version"]:
            rds.modify_db_instance(DBInstanceIdentifier=ident, ApplyImmediately=True,
                                   EngineVersion=inst_after[ident]["engine_version"],
                                   AllowMajorVersionUpgrade=True)
        old = {d["datname"] for d in inst.get("databases") or []}
        new = {d["datname"] for d in inst_after[ident].get("databases") or []}
        for name in sorted(old - new):
            psql(f'DROP DATABASE "{name}"')
        for name in sorted(new - old):
            psql(f'CREATE DATABASE "{name}"')


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("clean", "drift"):
        sys.exit(__doc__)
    estate = sys.argv[1]
    region = load(os.path.join(estate, "clean.json"))["region"]
    {"clean": clean, "drift": drift}[sys.argv[2]](estate, region)


if __name__ == "__main__":
    main()
