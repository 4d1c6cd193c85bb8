module github.com/activityapp/event-processor/scripts

go 1.26.0
