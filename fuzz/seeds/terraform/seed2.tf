resource "aws_db_instance" "main" {
  identifier     = local.name_prefix
  engine         = "postgres"
  engine_version = "17.2"
  instance_class = "db.t4g.medium"

  allocated_storage = 50
  storage_encrypted = true

  # The only database RDS creates; the services' databases are listed in services.yaml.
  db_name                     = "wealist"
  username                    = "wealist"
  manage_master_user_password = true

  skip_final_snapshot = false
  deletion_protection = true
}
