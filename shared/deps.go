package shared

import (
	_ "github.com/ThreeDotsLabs/watermill"
	_ "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	_ "github.com/google/wire"
	_ "github.com/stretchr/testify/require"
	_ "go.mongodb.org/mongo-driver/v2/mongo"
)
