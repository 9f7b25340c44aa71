"""The world: accounts, organizations, users, groups, roles, policies and resources; scenario
files today, the durable store next. ``resolve`` is the one bridge to the engine."""
